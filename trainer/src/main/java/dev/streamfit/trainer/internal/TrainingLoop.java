package dev.streamfit.trainer.internal;

import dev.streamfit.common.Buffers;
import dev.streamfit.engine.Classifier;
import dev.streamfit.schemas.AugmentedSample;
import dev.streamfit.schemas.LabelSet;
import dev.streamfit.schemas.Split;
import dev.streamfit.trainer.TrainerConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The training loop without Kafka: takes samples with their references, holds validation and test samples in bounded
 * {@link EvalWindow}s, trains minibatches drawn at random from a shuffle buffer, each topped up from a class-balanced
 * {@link ReplayBuffer} (re-augmented by {@link Reaugment}), grows the head for a new label, and hands out
 * {@link Snapshot}s (weights, progress, windows) for the evaluator and checkpoints. The shuffle RNG is a function of
 * (seed, step), so a resumed loop draws what it would have drawn. Not thread-safe: one thread (the trainer's) drives
 * it; snapshots are immutable and may go to another thread. Closes the model.
 */
public final class TrainingLoop implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TrainingLoop.class);
  private static final int TRAIN_ACCURACY_SAMPLES = 256;

  /**
   * What an evaluation or a checkpoint needs from the loop at one instant. Immutable (the lists are copies; the
   * samples are not modified by anyone).
   *
   * @param trigger why: {@code epoch_end}, {@code every_steps}, {@code idle}, {@code publish_interval}, or null for
   *     a checkpoint only
   * @param progress counters, offsets and references at this instant
   * @param model weights with updater state
   * @param validation validation window
   * @param validationGeneration the window's generation (equal: same samples)
   * @param test test window
   * @param trainSample up to 256 train samples since the previous evaluation (for train accuracy)
   * @param trainLoss mean minibatch loss since the previous evaluation (NaN if no step)
   * @param learningRate head learning rate of the last step
   */
  public record Snapshot(String trigger, TrainerState.Progress progress, byte[] model, List<Held> validation,
      long validationGeneration, List<Held> test, List<Held> trainSample, double trainLoss, double learningRate) {}

  private final TrainerConfig config;
  private final Classifier model;
  private LabelSet labels;
  private final ReplayBuffer<Held> replay;
  private final EvalWindow validation;
  private final EvalWindow test;
  private final List<Held> pending = new ArrayList<>();
  private final SplittableRandom shuffle;
  private final Reaugment reaugment;
  private final TeacherModel teacher; // null unless distilling
  private long step;
  private long samplesTrained;
  private int epoch;
  private boolean epochHasSamples;
  private final Map<String, Long> originOffsets = new TreeMap<>();
  private final Map<String, Long> nextOffsets = new TreeMap<>();
  private final TreeSet<String> specHashes = new TreeSet<>();
  // Since the last evaluation snapshot (not checkpointed: only metrics depend on them).
  private double lossSum;
  private long lossCount;
  private long stepsSinceEval;
  private long stepsSinceCheckpoint;
  private long evaluatedGeneration;
  private ReplayBuffer<Held> trainSample = new ReplayBuffer<>(TRAIN_ACCURACY_SAMPLES);

  /**
   * A loop over {@code model} (taken over: closed with the loop) from {@code progress}; held samples are re-read with
   * {@code reread} (references whose records are gone are left out, with a warning).
   */
  public TrainingLoop(TrainerConfig config, Classifier model, TrainerState.Progress progress,
      Function<List<SampleRef>, Map<SampleRef, AugmentedSample>> reread) {
    this(config, model, null, progress, reread);
  }

  /**
   * As {@link #TrainingLoop(TrainerConfig, Classifier, TrainerState.Progress, Function)}, distilling from
   * {@code teacher} (taken over: closed with the loop) when non-null: each minibatch, replays included, gets the
   * teacher's probabilities on the same pixels.
   */
  public TrainingLoop(TrainerConfig config, Classifier model, TeacherModel teacher, TrainerState.Progress progress,
      Function<List<SampleRef>, Map<SampleRef, AugmentedSample>> reread) {
    this.config = config;
    this.teacher = teacher;
    this.model = model;
    this.labels = LabelSet.of(progress.labels().isEmpty() ? config.labels() : progress.labels(), "trainer.labels");
    this.replay = new ReplayBuffer<>(config.rehearsal().perClass());
    this.validation = new EvalWindow(config.windows().perClass(), config.windows().maxBytes());
    this.test = new EvalWindow(config.windows().perClass(), config.windows().maxBytes());
    this.reaugment = new Reaugment(config.rehearsal().reaugment());
    this.step = progress.step();
    this.samplesTrained = progress.samplesTrained();
    this.epoch = progress.epoch();
    this.epochHasSamples = progress.epochHasSamples();
    this.originOffsets.putAll(progress.originOffsets());
    this.nextOffsets.putAll(progress.nextOffsets());
    this.specHashes.addAll(progress.specHashes());
    this.shuffle = new SplittableRandom(config.seed() ^ step);
    List<SampleRef> all = new ArrayList<>(progress.validation());
    all.addAll(progress.test());
    all.addAll(progress.replay());
    if (!all.isEmpty()) {
      Map<SampleRef, AugmentedSample> read = reread.apply(all);
      validation.restore(found(progress.validation(), read));
      test.restore(found(progress.test(), read));
      List<Long> offered = progress.replayOffered();
      for (Held h : found(progress.replay(), read)) {
        int k = labels.indexOf(h.sample().getLabel());
        if (k >= 0) {
          replay.restore(h, k, k < offered.size() ? offered.get(k) : 0);
        }
      }
      evaluatedGeneration = validation.generation();
      if (read.size() < all.size()) {
        LOG.warn("{} of {} held samples (validation, test, rehearsal) are no longer on the input topic (retention);"
            + " the windows refill from the stream", all.size() - read.size(), all.size());
      }
    }
  }

  private static List<Held> found(List<SampleRef> refs, Map<SampleRef, AugmentedSample> read) {
    return refs.stream().filter(read::containsKey).map(r -> new Held(r, read.get(r))).toList();
  }

  /** The admission of {@code label}; a new label (with {@code growLabels}) grows the head here. */
  public LabelAdmission admit(String label) {
    LabelAdmission a = LabelAdmission.of(labels, config.growLabels(), label);
    if (a instanceof LabelAdmission.Added added) {
      model.growHead(added.labels().size());
      labels = added.labels();
      LOG.info("label '{}' added: the head now has {} outputs; the next evaluation publishes a version with {} labels",
          labels.labels().get(labels.size() - 1), labels.size(), labels.size());
    }
    return a;
  }

  /**
   * Whether {@code s} opens a later epoch than the current one while the current one has samples: the caller then
   * drains, evaluates ({@code epoch_end}), and calls {@link #beginEpoch}.
   */
  public boolean closesEpoch(AugmentedSample s) {
    return s.getSplit() == Split.TRAIN && s.getEpoch() > epoch && (epochHasSamples || !pending.isEmpty());
  }

  /** Moves to {@code s}'s epoch if it is a later one. */
  public void beginEpoch(AugmentedSample s) {
    if (s.getSplit() == Split.TRAIN && s.getEpoch() > epoch) {
      epoch = s.getEpoch();
      epochHasSamples = false;
    }
  }

  /** Marks {@code ref} consumed and keeps its sample (null: nothing to learn from, e.g. rejected or unlabelled). */
  public void consumed(SampleRef ref, AugmentedSample s) {
    originOffsets.putIfAbsent(ref.partitionKey(), ref.offset());
    nextOffsets.put(ref.partitionKey(), ref.offset() + 1);
    if (s == null) {
      return;
    }
    Held h = new Held(ref, s);
    switch (s.getSplit()) {
      case TRAIN -> {
        pending.add(h);
        epochHasSamples = true;
        specHashes.add(s.getAugmentation().getSpecHash());
        trainSample.offer(h, 0, shuffle);
      }
      case VALIDATION -> validation.add(h);
      case TEST -> test.add(h);
      default -> { }
    }
  }

  /** Trains while the shuffle buffer holds at least {@code max(shuffle-buffer, batch-size)} samples. */
  public void trainReady() {
    while (pending.size() >= Math.max(config.shuffleBuffer(), config.batchSize())) {
      trainStep(drawBatch());
    }
  }

  /**
   * Consolidation: {@code steps} minibatches of replayed samples only (re-augmented, class-balanced), no new data.
   * Returns false, doing nothing, when the rehearsal buffer is empty. Offsets and samples trained do not change.
   */
  public boolean rehearse(int steps) {
    if (!canRehearse()) {
      return false;
    }
    for (int i = 0; i < steps; i++) {
      trainStep(List.of());
    }
    return true;
  }

  /** Whether {@link #rehearse} can take a step: a replay buffer is kept and holds samples. */
  public boolean canRehearse() {
    return replay.size() > 0 && config.rehearsal().ratio() != 0;
  }

  /** Trains every buffered sample (a barrier before snapshots: offsets then match the model). */
  public void drain() {
    while (!pending.isEmpty()) {
      trainStep(drawBatch());
    }
  }

  private List<Held> drawBatch() {
    int n = Math.min(config.batchSize(), pending.size());
    List<Held> batch = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      int j = shuffle.nextInt(pending.size());
      Held last = pending.remove(pending.size() - 1);
      batch.add(j == pending.size() ? last : pending.set(j, last));
    }
    return batch;
  }

  private void trainStep(List<Held> batch) {
    double ratio = config.rehearsal().ratio();
    List<AugmentedSample> samples = new ArrayList<>();
    List<byte[]> pixels = new ArrayList<>();
    List<Integer> y = new ArrayList<>();
    for (Held h : batch) {
      samples.add(h.sample());
      y.add(labels.indexOf(h.sample().getLabel()));
    }
    if (ratio > 0) {
      int[] inBatch = new int[labels.size()];
      batch.forEach(h -> inBatch[labels.indexOf(h.sample().getLabel())]++);
      // A short minibatch (a drain of a few new samples) is filled up to the batch size from the replay: one new
      // image is not a whole step on its own.
      int replayed = Math.max((int) Math.round(batch.size() * ratio), config.batchSize() - batch.size());
      for (Held h : replay.draw(replayed, inBatch, shuffle)) {
        if (SampleInput.hasActivations(h.sample())) {
          samples.add(h.sample()); // activations are replayed as kept: re-augmenting needs pixels
        } else {
          pixels.add(reaugment.apply(h.sample(), shuffle));
        }
        y.add(labels.indexOf(h.sample().getLabel()));
      }
      for (Held h : batch) {
        replay.offer(h, labels.indexOf(h.sample().getLabel()), shuffle);
      }
    }
    double f = config.schedule().factor(step);
    model.setLearningRates(config.training().learningRate() * f, config.training().baseLearningRate() * f);
    int[] classes = y.stream().mapToInt(Integer::intValue).toArray();
    double loss;
    if (config.input() == TrainerConfig.Input.FEATURES) {
      loss = model.fitActivations(samples.stream().map(SampleInput::activations).toList(), classes);
    } else {
      // As sent (the sample size), new samples first, then the re-augmented replays, as the labels are.
      List<byte[]> all = new ArrayList<>(samples.stream().map(x -> Buffers.copyOf(x.getPixels())).toList());
      all.addAll(pixels);
      int side = config.sampleSize();
      double[][] soft = teacher == null ? null : teacher.probabilities(all, side, side);
      loss = model.fit(all.stream().map(px -> model.contract().fit(px, side, side)).toList(), classes, soft);
    }
    if (Double.isFinite(loss)) {
      lossSum += loss * batch.size();
      lossCount += batch.size();
    }
    step++;
    stepsSinceEval++;
    stepsSinceCheckpoint++;
    samplesTrained += batch.size();
    LOG.debug("step {} ({} samples) loss {} lr {}", step, batch.size(), loss, config.training().learningRate() * f);
  }

  /**
   * A snapshot for an evaluation ({@code trigger} non-null: the per-evaluation train loss and sample restart) or a
   * checkpoint only (null). Call after {@link #drain()} so that the offsets match the weights.
   */
  public Snapshot snapshot(String trigger) {
    double trainLoss = lossCount > 0 ? lossSum / lossCount : Double.NaN;
    List<Held> sample = trainSample.all();
    double lr = config.training().learningRate() * config.schedule().factor(Math.max(0, step - 1));
    Snapshot s = new Snapshot(trigger, progress(), model.toBytes(true), validation.samples(), validation.generation(),
        test.samples(), sample, trainLoss, lr);
    stepsSinceCheckpoint = 0;
    if (trigger != null) {
      evaluatedGeneration = validation.generation();
      lossSum = 0;
      lossCount = 0;
      stepsSinceEval = 0;
      trainSample = new ReplayBuffer<>(TRAIN_ACCURACY_SAMPLES);
    }
    return s;
  }

  /**
   * While {@code evaluating}, training uses the cores the evaluator leaves ({@link Judge#EVALUATOR_THREADS}); else all
   * of them, chosen per batch.
   */
  public void shareCores(boolean evaluating) {
    model.setNativeThreads(evaluating
        ? Math.max(1, Runtime.getRuntime().availableProcessors() - Judge.EVALUATOR_THREADS) : 0);
  }

  /** Progress now (what a checkpoint records). */
  public TrainerState.Progress progress() {
    return new TrainerState.Progress(step, samplesTrained, epoch, epochHasSamples, labels.labels(), originOffsets,
        nextOffsets, List.copyOf(specHashes), validation.refs(), test.refs(),
        replay.all().stream().map(Held::ref).toList(), replay.offered());
  }

  /** The model being trained (for scoring in tests; do not close). */
  public Classifier model() {
    return model;
  }

  public LabelSet labels() {
    return labels;
  }

  public long step() {
    return step;
  }

  public long samplesTrained() {
    return samplesTrained;
  }

  /** Samples waiting in the shuffle buffer. */
  public int pending() {
    return pending.size();
  }

  public long stepsSinceEval() {
    return stepsSinceEval;
  }

  /** Whether the validation window changed since the last evaluation snapshot (the champion may have drifted). */
  public boolean windowChangedSinceEval() {
    return validation.generation() != evaluatedGeneration;
  }

  public long stepsSinceCheckpoint() {
    return stepsSinceCheckpoint;
  }

  public int validationSize() {
    return validation.size();
  }

  /** Pixel bytes held in memory: windows, rehearsal buffer, shuffle buffer. */
  public long heldBytes() {
    long b = validation.bytes() + test.bytes();
    for (Held h : replay.all()) {
      b += h.bytes();
    }
    for (Held h : pending) {
      b += h.bytes();
    }
    return b;
  }

  /** The next offset to consume per partition key. */
  public Map<String, Long> nextOffsets() {
    return Map.copyOf(nextOffsets);
  }

  @Override
  public void close() {
    model.close();
    if (teacher != null) {
      teacher.close();
    }
  }
}
