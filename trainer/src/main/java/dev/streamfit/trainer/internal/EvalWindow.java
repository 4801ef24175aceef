package dev.streamfit.trainer.internal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A bounded window of held-out samples (one split): the newest {@code perClass} samples of each label, and at most
 * {@code maxBytes} of pixels in all; over the byte bound, the oldest sample of the label with the most samples goes,
 * so classes stay balanced. A source image is held once (an epoch replay of a validation image is ignored). Every
 * change bumps {@link #generation()}: scores measured at one generation are comparable, across generations they are
 * not. A checkpoint keeps {@link #refs()}; {@link #restore} puts the re-read samples back. Not thread-safe (the
 * training thread's); {@link #samples()} returns a copy that another thread may read.
 */
public final class EvalWindow {
  private final int perClass;
  private final long maxBytes;
  private final Map<String, ArrayDeque<Held>> byLabel = new LinkedHashMap<>();
  private final Set<String> sources = new HashSet<>();
  private long bytes;
  private long generation;
  private int size;

  /** A window of at most {@code perClass} samples per label (≥ 1) and {@code maxBytes} pixel bytes (≥ 1). */
  public EvalWindow(int perClass, long maxBytes) {
    if (perClass < 1 || maxBytes < 1) {
      throw new IllegalArgumentException("window bounds must be ≥ 1, were " + perClass + " per class and " + maxBytes + " bytes");
    }
    this.perClass = perClass;
    this.maxBytes = maxBytes;
  }

  /** Adds {@code h} (labelled); returns false, changing nothing, when its source image is held already. */
  public boolean add(Held h) {
    String source = h.sample().getSourceId();
    if (!sources.add(source)) {
      return false;
    }
    ArrayDeque<Held> q = byLabel.computeIfAbsent(h.sample().getLabel(), k -> new ArrayDeque<>());
    q.addLast(h);
    size++;
    bytes += h.bytes();
    if (q.size() > perClass) {
      evictOldest(q);
    }
    while (bytes > maxBytes && size > 1) {
      ArrayDeque<Held> largest = null;
      for (ArrayDeque<Held> d : byLabel.values()) {
        largest = largest == null || d.size() > largest.size() ? d : largest;
      }
      evictOldest(largest);
    }
    generation++;
    return true;
  }

  private void evictOldest(ArrayDeque<Held> q) {
    Held gone = q.removeFirst();
    sources.remove(gone.sample().getSourceId());
    bytes -= gone.bytes();
    size--;
  }

  /** Puts back samples re-read from {@link #refs()} after a restart (in their original order). */
  public void restore(List<Held> held) {
    held.forEach(this::add);
  }

  /** Every sample held, label by label, oldest first: a copy. */
  public List<Held> samples() {
    List<Held> out = new ArrayList<>(size);
    byLabel.values().forEach(out::addAll);
    return out;
  }

  /** References of {@link #samples()}, sorted by position on the topic (restore order). */
  public List<SampleRef> refs() {
    return samples().stream().map(Held::ref).sorted().toList();
  }

  /** Samples held. */
  public int size() {
    return size;
  }

  /** Pixel bytes held. */
  public long bytes() {
    return bytes;
  }

  /** Changes so far: equal generations mean the same samples. */
  public long generation() {
    return generation;
  }
}
