package dev.streamfit.trainer.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A bounded, class-balanced memory of train samples for rehearsal: per class a reservoir sample (Vitter's algorithm
 * R) of at most {@code perClass} of the samples offered, so every sample of a class has the same chance to be kept
 * whatever the stream's length, and memory is at most {@code perClass} × classes × one sample. {@link #draw} fills a
 * minibatch toward class balance, then picks a sample of each class at random: a class seen rarely, or not at all
 * lately, is rehearsed as often as a common one.
 * {@code T} is what is kept (a sample, or a sample with its reference). Randomness comes from the caller's RNG. Not thread-safe (the trainer thread's).
 */
public final class ReplayBuffer<T> {
  private final int perClass;
  private final List<List<T>> byClass = new ArrayList<>();
  private final List<Long> seen = new ArrayList<>();

  /** A buffer keeping up to {@code perClass} samples per class, in [1, 100000]. */
  public ReplayBuffer(int perClass) {
    if (perClass < 1 || perClass > 100_000) {
      throw new IllegalArgumentException("replay per class must be in [1, 100000], was " + perClass);
    }
    this.perClass = perClass;
  }

  /** Offers a train sample of class {@code classIndex} (≥ 0); kept or not as the reservoir decides. */
  public void offer(T s, int classIndex, SplittableRandom rng) {
    while (byClass.size() <= classIndex) {
      byClass.add(new ArrayList<>());
      seen.add(0L);
    }
    List<T> kept = byClass.get(classIndex);
    long n = seen.get(classIndex) + 1;
    seen.set(classIndex, n);
    if (kept.size() < perClass) {
      kept.add(s);
    } else {
      long j = rng.nextLong(n);
      if (j < perClass) {
        kept.set((int) j, s);
      }
    }
  }

  /** Up to {@code n} samples, each of a class drawn uniformly among the classes held; empty when nothing is held. */
  public List<T> draw(int n, SplittableRandom rng) {
    return draw(n, new int[0], rng);
  }

  /**
   * Up to {@code n} samples that fill a minibatch toward class balance: {@code inBatch[k]} samples of class k are in
   * it already; each slot goes to a held class with the fewest so far (ties at random), then a random sample of it.
   * A minibatch of new classes only is thus topped up with the classes it lacks.
   */
  public List<T> draw(int n, int[] inBatch, SplittableRandom rng) {
    List<Integer> held = new ArrayList<>();
    for (int k = 0; k < byClass.size(); k++) {
      if (!byClass.get(k).isEmpty()) {
        held.add(k);
      }
    }
    int[] count = new int[byClass.size()];
    for (int k = 0; k < Math.min(count.length, inBatch.length); k++) {
      count[k] = inBatch[k];
    }
    List<T> out = new ArrayList<>(Math.max(0, n));
    List<Integer> fewest = new ArrayList<>();
    for (int i = 0; i < n && !held.isEmpty(); i++) {
      int least = Integer.MAX_VALUE;
      fewest.clear();
      for (int k : held) {
        if (count[k] < least) {
          least = count[k];
          fewest.clear();
        }
        if (count[k] == least) {
          fewest.add(k);
        }
      }
      int k = fewest.get(rng.nextInt(fewest.size()));
      List<T> c = byClass.get(k);
      out.add(c.get(rng.nextInt(c.size())));
      count[k]++;
    }
    return out;
  }

  /** Samples held, all classes. */
  public int size() {
    return byClass.stream().mapToInt(List::size).sum();
  }

  /** Samples held per class index (empty classes included up to the highest offered). */
  public List<Integer> sizes() {
    return byClass.stream().map(List::size).toList();
  }

  /** Every sample held, class by class (for a checkpoint). */
  public List<T> all() {
    return byClass.stream().flatMap(List::stream).toList();
  }

  /** Samples offered so far per class index (the reservoir counts, for a checkpoint). */
  public List<Long> offered() {
    return List.copyOf(seen);
  }

  /**
   * Restores a sample written by {@link #all} into class {@code classIndex}, with that class's count from
   * {@link #offered} ({@code offered} at least the samples restored).
   */
  public void restore(T s, int classIndex, long offered) {
    while (byClass.size() <= classIndex) {
      byClass.add(new ArrayList<>());
      seen.add(0L);
    }
    if (byClass.get(classIndex).size() < perClass) {
      byClass.get(classIndex).add(s);
      seen.set(classIndex, Math.max(offered, byClass.get(classIndex).size()));
    }
  }
}
