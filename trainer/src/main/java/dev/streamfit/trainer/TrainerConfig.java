package dev.streamfit.trainer;

import dev.streamfit.augment.ops.AugmentSpec;
import dev.streamfit.engine.BaseModel;
import dev.streamfit.engine.Distillation;
import dev.streamfit.engine.FrozenPrefix;
import dev.streamfit.engine.HeadSpec;
import dev.streamfit.engine.ScratchShape;
import dev.streamfit.engine.TrainingSpec;
import dev.streamfit.schemas.LabelSet;
import dev.streamfit.schemas.Topics;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Configuration of the trainer stage. Immutable; validated on construction (errors name the key, the
 * bound, the value and the flag).
 *
 * @param bootstrapServers Kafka {@code bootstrap.servers}
 * @param topics topic catalogue
 * @param groupId consumer group (offsets are committed for monitoring only; checkpoints hold the truth)
 * @param checkpointDir directory for checkpoints
 * @param modelName name under which versions are published: 1-100 of A-Z a-z 0-9 . _ -
 * @param labels class labels, output index order: a {@link LabelSet} (the label rule, distinct ignoring case, 2..1000)
 * @param base pretrained feature extractor
 * @param imageSize input side, pixels; must match the augment stage's
 * @param training head, optimizer, learning rates, fine-tuned blocks, class weights
 * @param schedule learning-rate schedule over steps
 * @param batchSize minibatch size, in [1, 512]
 * @param seed weight-init and shuffle seed
 * @param shuffleBuffer minibatches are drawn at random from this many buffered train samples, in [1, 100000]
 * @param policy when to evaluate, checkpoint, publish and stop
 * @param growLabels a labelled sample of a label not in {@code labels} adds it (the head grows) instead of being
 *     refused; the grown set is checkpointed and published with each version
 * @param rehearsal replay of older train samples mixed into each minibatch
 * @param scratch width and depth of {@code scratch-cnn} (ignored for pretrained bases)
 * @param windows bounds of the validation and test windows
 * @param input what the trainer reads: pixels from {@code images.augmented} (the whole network runs in the trainer), or
 *     activations from {@code images.features} (the features stage runs the frozen prefix; the trainer trains the top)
 * @param sampleSize side of the pixel samples on the input topic, in [16, 2048]; when it is not {@code imageSize} the
 *     trainer brings each sample to {@code imageSize} by the input contract's resize rule (a student trained on the
 *     samples made for its teacher)
 * @param teacher distil from this model's version (its soft targets on each train sample); null = train on the labels
 *     only. Needs {@code training.distillation()}, pixels input, no label growth.
 */
public record TrainerConfig(String bootstrapServers, Topics topics, String groupId, Path checkpointDir,
    String modelName, List<String> labels, BaseModel base, int imageSize, TrainingSpec training, LrSchedule schedule,
    int batchSize, long seed, int shuffleBuffer, TrainerPolicy policy, boolean growLabels, Rehearsal rehearsal,
    ScratchShape scratch, Windows windows, Input input, int sampleSize, Teacher teacher) {

  /**
   * The model a student distils from: a name on the {@code models} topic and a version of it.
   *
   * @param modelName the teacher's model name (not the student's)
   * @param version the version; 0 = the newest one on the topic when the trainer starts (its provenance then records
   *     the one it took)
   */
  public record Teacher(String modelName, long version) {
    public Teacher {
      Objects.requireNonNull(modelName, "trainer.distill-from");
      if (modelName.isBlank() || version < 0) {
        throw new IllegalArgumentException("trainer.distill-from must be NAME or NAME@VERSION (VERSION >= 1), was '"
            + modelName + (version > 0 ? "@" + version : "") + "' (set --distill-from)");
      }
    }

    /** Parses {@code NAME} or {@code NAME@VERSION}; the error names the flag. */
    public static Teacher parse(String s) {
      int at = s.lastIndexOf('@');
      try {
        return at < 0 ? new Teacher(s, 0) : new Teacher(s.substring(0, at), Long.parseLong(s.substring(at + 1)));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("trainer.distill-from must be NAME or NAME@VERSION, was '" + s
            + "' (set --distill-from)", e);
      }
    }

    @Override
    public String toString() {
      return version == 0 ? modelName : modelName + "@" + version;
    }
  }

  /** Samples at the model's size, no teacher. */
  public TrainerConfig(String bootstrapServers, Topics topics, String groupId, Path checkpointDir, String modelName,
      List<String> labels, BaseModel base, int imageSize, TrainingSpec training, LrSchedule schedule, int batchSize,
      long seed, int shuffleBuffer, TrainerPolicy policy, boolean growLabels, Rehearsal rehearsal, ScratchShape scratch,
      Windows windows, Input input) {
    this(bootstrapServers, topics, groupId, checkpointDir, modelName, labels, base, imageSize, training, schedule,
        batchSize, seed, shuffleBuffer, policy, growLabels, rehearsal, scratch, windows, input, imageSize, null);
  }

  /** Where the trainer's samples come from. */
  public enum Input {
    /** {@code images.augmented}: pixels; the trainer runs the whole network. */
    PIXELS,
    /**
     * {@code images.features}: the frozen prefix's activations, computed by the features stage (which scales by
     * partitions and instances); the trainer runs only the trainable top. Needs a pretrained base. Replayed samples
     * (rehearsal) are replayed as kept: re-augmentation needs pixels.
     */
    FEATURES;

    /** Parses {@code pixels} or {@code features}; the error names the flag. */
    public static Input parse(String s) {
      return switch (s) {
        case "pixels" -> PIXELS;
        case "features" -> FEATURES;
        default -> throw new IllegalArgumentException("trainer.input must be pixels or features, was '" + s
            + "' (set --trainer-input)");
      };
    }
  }

  /**
   * Bounds of each held-out window (validation, test): the newest {@code perClass} samples per label, and at most
   * {@code maxBytes} of pixels (over it, the oldest of the largest label goes). Kept in memory, checkpointed by
   * reference.
   *
   * @param perClass samples per label, in [1, 100000]
   * @param maxBytes pixel bytes per window, in [1 MiB, 64 GiB]
   */
  public record Windows(int perClass, long maxBytes) {
    /** 200 per label, 128 MiB (850 samples at 224 px). */
    public static final Windows DEFAULT = new Windows(200, 128L << 20);

    public Windows {
      if (perClass < 1 || perClass > 100_000) {
        throw new IllegalArgumentException("trainer.window-per-class must be in [1, 100000], was " + perClass
            + " (set --window-per-class)");
      }
      if (maxBytes < (1L << 20) || maxBytes > (64L << 30)) {
        throw new IllegalArgumentException("trainer.window-max-mb must be in [1, 65536], was " + (maxBytes >> 20)
            + " (set --window-max-mb)");
      }
    }
  }

  /**
   * Rehearsal: each minibatch of {@code b} new samples gets {@code max(round(b × ratio), batch − b)} more drawn from a
   * class-balanced reservoir of {@code perClass} earlier train samples per class (see {@code ReplayBuffer}), each
   * re-augmented by {@code reaugment}; while trained data waits to be served the trainer may also take replay-only
   * steps (consolidation). Ratio 0 = off. Memory: at most {@code perClass} × classes samples of image-size² × 3 bytes.
   *
   * @param ratio replayed samples per new sample, in [0, 8]
   * @param perClass samples kept per class, in [1, 100000]
   * @param reaugment drawn afresh for each replay of a sample, on top of the variant kept (so a replayed image is not
   *     seen twice the same way); {@code AugmentSpec.none()} replays the variant as kept
   */
  public record Rehearsal(double ratio, int perClass, AugmentSpec reaugment) {
    /** Replay jitter by default: shift ±10 %, zoom 0.9–1.1; no flip, no rotation (not every label set allows them). */
    public static final AugmentSpec LIGHT = new AugmentSpec(0, 0.1,
        0.1, 0, 0.9, 1.1, false, false, 1, 1, 0, AugmentSpec.FillMode.NEAREST, 0, 0, 0, 0);

    /** No rehearsal. */
    public static final Rehearsal OFF = new Rehearsal(0, 64);

    /** {@code ratio} and {@code perClass} with the {@link #LIGHT} replay jitter. */
    public Rehearsal(double ratio, int perClass) {
      this(ratio, perClass, LIGHT);
    }

    public Rehearsal {
      if (!(ratio >= 0 && ratio <= 8)) {
        throw new IllegalArgumentException("trainer.replay-ratio must be in [0, 8], was " + ratio + " (set --replay-ratio)");
      }
      if (perClass < 1 || perClass > 100_000) {
        throw new IllegalArgumentException("trainer.replay-per-class must be in [1, 100000], was " + perClass
            + " (set --replay-per-class)");
      }
      Objects.requireNonNull(reaugment, "trainer.replay-augment");
    }
  }


  public TrainerConfig {
    Objects.requireNonNull(bootstrapServers, "bootstrapServers");
    Objects.requireNonNull(topics, "topics");
    Objects.requireNonNull(groupId, "groupId");
    Objects.requireNonNull(checkpointDir, "checkpointDir");
    Objects.requireNonNull(modelName, "modelName");
    Objects.requireNonNull(base, "base");
    Objects.requireNonNull(training, "training");
    Objects.requireNonNull(schedule, "schedule");
    Objects.requireNonNull(policy, "policy");
    Objects.requireNonNull(rehearsal, "rehearsal");
    Objects.requireNonNull(scratch, "scratch");
    Objects.requireNonNull(windows, "windows");
    Objects.requireNonNull(input, "input");
    if (shuffleBuffer < 1 || shuffleBuffer > 100_000) {
      throw new IllegalArgumentException("trainer.shuffle-buffer must be in [1, 100000], was " + shuffleBuffer
          + " (set --shuffle-buffer)");
    }
    labels = LabelSet.of(labels, "trainer.labels (set --labels, --labels-file or --data)").labels();
    if (modelName.isBlank() || modelName.length() > 100 || !modelName.matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
      throw new IllegalArgumentException("trainer.model-name must be 1 to 100 characters of A-Z a-z 0-9 . _ -, starting"
          + " with a letter or digit, was '" + modelName + "' (set --model-name)");
    }
    if (imageSize < 32 || imageSize > 1024) {
      throw new IllegalArgumentException("trainer.image-size must be in [32, 1024], was " + imageSize + " (set --image-size)");
    }
    if (batchSize < 1 || batchSize > 512) {
      throw new IllegalArgumentException("trainer.batch-size must be in [1, 512], was " + batchSize + " (set --batch-size)");
    }
    training.validateFor(base, labels.size());
    if (base == BaseModel.SCRATCH_CNN) {
      scratch.validateFor(imageSize);
    }
    if (growLabels && !training.classWeights().isEmpty()) {
      throw new IllegalArgumentException("trainer.grow-labels cannot be combined with trainer.class-weights (a new class"
          + " would have no weight): drop --class-weights or --grow-labels");
    }
    if (input == Input.FEATURES) {
      FrozenPrefix.of(base, imageSize, training); // validates: a pretrained base
    }
    if (sampleSize < 16 || sampleSize > 2048) {
      throw new IllegalArgumentException("trainer.sample-size must be in [16, 2048], was " + sampleSize
          + " (set --image-size of the augment stage)");
    }
    if (input == Input.FEATURES && sampleSize != imageSize) {
      throw new IllegalArgumentException("trainer.sample-size must equal trainer.image-size (" + imageSize + ") when reading"
          + " activations, was " + sampleSize + " (samples of another size need --trainer-input pixels)");
    }
    if ((teacher == null) != (training.distillation() == null)) {
      throw new IllegalArgumentException("trainer.distill-from and the distillation loss go together, had teacher "
          + teacher + " and distillation " + training.distillation() + " (set both --distill-from and its options)");
    }
    if (teacher != null) {
      if (input != Input.PIXELS) {
        throw new IllegalArgumentException("trainer.distill-from needs trainer.input pixels (the teacher sees the images),"
            + " was " + input + " (set --trainer-input pixels)");
      }
      if (growLabels) {
        throw new IllegalArgumentException("trainer.distill-from cannot be combined with trainer.grow-labels (the teacher"
            + " has no output for a new label): drop --grow-labels");
      }
      if (teacher.modelName().equals(modelName)) {
        throw new IllegalArgumentException("trainer.distill-from must name another model than trainer.model-name ('"
            + modelName + "'): the student is published as its own model (set --model-name)");
      }
    }
  }

  /** This config distilling from {@code t} with {@code d} (both null: not distilling), on samples {@code side} px. */
  public TrainerConfig withTeacher(Teacher t, Distillation d, int side) {
    return new TrainerConfig(bootstrapServers, topics, groupId, checkpointDir, modelName, labels, base, imageSize,
        training.withDistillation(d), schedule, batchSize, seed, shuffleBuffer, policy, growLabels, rehearsal, scratch,
        windows, input, side, t);
  }

  /** The topic the trainer reads ({@link Topics#augmented()} or {@link Topics#features()}). */
  public String inputTopic() {
    return input == Input.FEATURES ? topics.features() : topics.augmented();
  }

  /** The frozen part of the network this config trains on (with {@link Input#FEATURES}, what the samples carry). */
  public FrozenPrefix prefix() {
    return FrozenPrefix.of(base, imageSize, training);
  }

  /** This config reading {@code in}. */
  public TrainerConfig withInput(Input in) {
    return new TrainerConfig(bootstrapServers, topics, groupId, checkpointDir, modelName, labels, base, imageSize,
        training, schedule, batchSize, seed, shuffleBuffer, policy, growLabels, rehearsal, scratch, windows, in, sampleSize, teacher);
  }

  /**
   * Defaults for model {@code modelName} over {@code labels}: MobileNetV2-0.35 at 224, Adam 1e-3 constant, batch 16,
   * seed 42, {@link TrainerPolicy#DEFAULTS}.
   */
  public static TrainerConfig defaults(String bootstrapServers, Topics topics, Path checkpointDir, String modelName,
      List<String> labels) {
    return new TrainerConfig(bootstrapServers, topics, "streamfit-trainer", checkpointDir, modelName,
        labels, BaseModel.MOBILENET_V2_035, 224, TrainingSpec.adam(HeadSpec.SOFTMAX, 1e-3), LrSchedule.CONSTANT,
        16, 42L, 256, TrainerPolicy.DEFAULTS, false, Rehearsal.OFF,
        ScratchShape.DEFAULT, Windows.DEFAULT, Input.PIXELS);
  }

  public TrainerConfig withBatchSize(int n) {
    return new TrainerConfig(bootstrapServers, topics, groupId, checkpointDir, modelName, labels, base, imageSize,
        training, schedule, n, seed, shuffleBuffer, policy, growLabels, rehearsal, scratch, windows, input, sampleSize, teacher);
  }

  public TrainerConfig withTraining(TrainingSpec t) {
    return new TrainerConfig(bootstrapServers, topics, groupId, checkpointDir, modelName, labels, base, imageSize,
        t, schedule, batchSize, seed, shuffleBuffer, policy, growLabels, rehearsal, scratch, windows, input, sampleSize, teacher);
  }

  /** This config with label growth on or off and {@code r} rehearsal. */
  public TrainerConfig withGrowth(boolean grow, Rehearsal r) {
    return new TrainerConfig(bootstrapServers, topics, groupId, checkpointDir, modelName, labels, base, imageSize,
        training, schedule, batchSize, seed, shuffleBuffer, policy, grow, r, scratch, windows, input, sampleSize, teacher);
  }

  /** This config with {@code p} as its policy. */
  public TrainerConfig withPolicy(TrainerPolicy p) {
    return new TrainerConfig(bootstrapServers, topics, groupId, checkpointDir, modelName, labels, base, imageSize,
        training, schedule, batchSize, seed, shuffleBuffer, p, growLabels, rehearsal, scratch, windows, input, sampleSize, teacher);
  }

  /** This config with {@code w} as its window bounds. */
  public TrainerConfig withWindows(Windows w) {
    return new TrainerConfig(bootstrapServers, topics, groupId, checkpointDir, modelName, labels, base, imageSize,
        training, schedule, batchSize, seed, shuffleBuffer, policy, growLabels, rehearsal, scratch, w, input, sampleSize, teacher);
  }

  /** Key → value view recorded in model provenance. */
  public Map<String, String> asMap() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("model-name", modelName);
    m.put("base", base.id());
    m.put("image-size", String.valueOf(imageSize));
    m.put("labels", String.join(",", labels));
    m.put("optimizer", training.describeOptimizer());
    m.put("learning-rate", String.valueOf(training.learningRate()));
    m.put("lr-schedule", schedule.describe());
    m.put("fine-tune-blocks", String.valueOf(training.trainableBlocks()));
    if (training.trainableBlocks() > 0) {
      m.put("fine-tune-learning-rate", String.valueOf(training.baseLearningRate()));
    }
    if (!training.classWeights().isEmpty()) {
      m.put("class-weights", training.classWeights().toString());
    }
    m.put("batch-size", String.valueOf(batchSize));
    m.put("seed", String.valueOf(seed));
    m.put("shuffle-buffer", String.valueOf(shuffleBuffer));
    m.put("head", training.head().describe());
    m.put("base-frozen", String.valueOf(training.trainableBlocks() == 0));
    m.put("publish-margin", String.valueOf(policy.publishMargin()));
    m.put("early-stop-patience", String.valueOf(policy.earlyStopPatience()));
    m.put("publish-interval-ms", String.valueOf(policy.publishIntervalMs()));
    m.put("significance", String.valueOf(policy.significance()));
    m.put("window-per-class", String.valueOf(windows.perClass()));
    m.put("window-max-bytes", String.valueOf(windows.maxBytes()));
    if (base == BaseModel.SCRATCH_CNN) {
      m.put("scratch-width", String.valueOf(scratch.width()));
      m.put("scratch-blocks", String.valueOf(scratch.blocks()));
    }
    m.put("grow-labels", String.valueOf(growLabels));
    if (rehearsal.ratio() > 0) {
      m.put("replay-ratio", String.valueOf(rehearsal.ratio()));
      m.put("replay-per-class", String.valueOf(rehearsal.perClass()));
      m.put("replay-augment", rehearsal.reaugment().canonical());
    }
    if (sampleSize != imageSize) {
      m.put("sample-size", String.valueOf(sampleSize));
    }
    if (teacher != null) {
      m.put("distill-from", teacher.toString());
      m.put("distill-temperature", String.valueOf(training.distillation().temperature()));
      m.put("distill-weight", String.valueOf(training.distillation().weight()));
    }
    m.put("input-topic", inputTopic());
    if (input == Input.FEATURES) {
      m.put("frozen-prefix", prefix().describe() + "#" + prefix().shortHash());
    }
    return m;
  }
}
