package dev.streamfit.pipeline;

import dev.streamfit.augment.ops.AugmentSpec;
import dev.streamfit.engine.BaseModel;
import dev.streamfit.trainer.TrainerConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import picocli.CommandLine.Option;

/** Options of the trainer stage: base, head, optimisation, schedule, evaluation, checkpoints, publishing. */
public final class TrainerOptions {
  @Option(names = "--learning-rate", defaultValue = "0.005", description = "Learning rate of the head (default ${DEFAULT-VALUE}).")
  public double learningRate;

  /** Default of {@code --base} (also the features command's). */
  public static final String DEFAULT_BASE = "mobilenet-v1-0.75";

  @Option(names = "--base", defaultValue = DEFAULT_BASE,
      description = "Base: pretrained mobilenet-v1-0.75 or mobilenetv2-0.35, or scratch-cnn (a small conv net with batch "
          + "normalization trained from scratch, for small images: use --image-size 32..96) (default ${DEFAULT-VALUE}; chosen on validation).")
  public String base;

  @Option(names = "--inner-size", defaultValue = "0", description = "Inner dense layer of the head, units; 0 = none (default ${DEFAULT-VALUE}).")
  public int innerSize;

  @Option(names = "--dropout", defaultValue = "0", description = "Dropout rate before the softmax layer (default ${DEFAULT-VALUE}).")
  public double dropout;

  @Option(names = "--batch-size", defaultValue = "16", description = "Training minibatch size (default ${DEFAULT-VALUE}).")
  public int batchSize;

  @Option(names = "--eval-idle-ms", defaultValue = "3000",
      description = "Evaluate (checkpoint, maybe publish) after this long without new training input, ms (default ${DEFAULT-VALUE}).")
  public long evalIdleMs;

  @Option(names = "--eval-every-steps", defaultValue = "0",
      description = "Also evaluate every N steps; 0 = at epoch ends and when idle only (default ${DEFAULT-VALUE}).")
  public int evalEverySteps;

  @Option(names = "--optimizer", defaultValue = "adam", description = "adam or sgd (Nesterov momentum) (default ${DEFAULT-VALUE}).")
  public String optimizer;

  @Option(names = "--momentum", defaultValue = "0.9", description = "SGD momentum (default ${DEFAULT-VALUE}).")
  public double momentum;

  @Option(names = "--lr-schedule", defaultValue = "constant",
      description = "constant, step, exponential, cosine or cyclical (default ${DEFAULT-VALUE}).")
  public String lrSchedule;

  @Option(names = "--lr-schedule-steps", defaultValue = "1000",
      description = "Schedule period in steps: decay interval, cosine length or half cycle (default ${DEFAULT-VALUE}).")
  public long lrScheduleSteps;

  @Option(names = "--lr-gamma", defaultValue = "0.5", description = "Decay factor of step/exponential schedules (default ${DEFAULT-VALUE}).")
  public double lrGamma;

  @Option(names = "--lr-min-factor", defaultValue = "0.0",
      description = "Floor of cosine/cyclical schedules, as a fraction of the rate (default ${DEFAULT-VALUE}).")
  public double lrMinFactor;

  @Option(names = "--trainer-input", defaultValue = "auto",
      description = "What the trainer reads: pixels (images.augmented; it runs the whole network), features "
          + "(images.features: a features stage runs the frozen part, the trainer only the trainable top), or auto: "
          + "features where this command runs the features stage too (demo, bench) and the base is pretrained, "
          + "else pixels (default ${DEFAULT-VALUE}).")
  public String trainerInput;

  /** Whether the command runs a features stage beside the trainer (what {@code auto} goes by). */
  public boolean featuresStageRuns;

  @Option(names = "--distill-from", paramLabel = "NAME[@VERSION]",
      description = "Distil: train on this published model's soft targets as well as on the labels (its newest version"
          + " unless @VERSION; reads pixels; publish the student under its own --model-name). Default: off.")
  public String distillFrom;

  @Option(names = "--distill-temperature", defaultValue = "4",
      description = "Distillation temperature T in [1, 50]: softens the teacher's probabilities (default ${DEFAULT-VALUE}).")
  public double distillTemperature;

  @Option(names = "--distill-weight", defaultValue = "0.5",
      description = "Share of the teacher's soft targets in the loss, in [0, 1]; the rest is the labels' (default "
          + "${DEFAULT-VALUE}).")
  public double distillWeight;

  @Option(names = "--sample-size",
      description = "Side of the samples on the input topic when it is not --image-size: each is resized to --image-size"
          + " (e.g. a student at 160 px on the 224-px samples made for its teacher; pixels input). Default: --image-size.")
  public Integer sampleSize;

  /** The trainer's input for this base. */
  public TrainerConfig.Input input() {
    if ("auto".equals(trainerInput) && (distillFrom != null || sampleSize != null)) {
      return TrainerConfig.Input.PIXELS;
    }
    if ("auto".equals(trainerInput)) {
      return featuresStageRuns && BaseModel.fromId(base).pretrained()
          ? TrainerConfig.Input.FEATURES : TrainerConfig.Input.PIXELS;
    }
    return TrainerConfig.Input.parse(trainerInput);
  }

  @Option(names = "--fine-tune-blocks", defaultValue = "0",
      description = "Train the base's top K blocks too; 0 = frozen base (default ${DEFAULT-VALUE}).")
  public int fineTuneBlocks;

  @Option(names = "--fine-tune-learning-rate", defaultValue = "0.0005",
      description = "Learning rate of the fine-tuned blocks (default ${DEFAULT-VALUE}).")
  public double fineTuneLearningRate;

  @Option(names = "--class-weights", split = ",", description = "Loss weight per class, in label order, comma-separated (default: all 1).")
  public List<Double> classWeights = new ArrayList<>();

  @Option(names = "--early-stop-patience", defaultValue = "0",
      description = "Stop training after N evaluations without a better validation accuracy; 0 = never (default ${DEFAULT-VALUE}).")
  public int earlyStopPatience;

  @Option(names = "--publish-margin", defaultValue = "0.0",
      description = "Publish at once when validation accuracy beats the champion's, on the same window, by more than this "
          + "with significance; negative = every evaluation (default ${DEFAULT-VALUE}).")
  public double publishMargin;

  @Option(names = "--publish-interval", defaultValue = "20",
      description = "Freshness: while new data is trained, evaluate and publish a candidate that is not worse than the "
          + "champion at most every this many seconds; 0 = only significant improvements (default ${DEFAULT-VALUE}).")
  public double publishInterval;

  @Option(names = "--significance", defaultValue = "0.05",
      description = "McNemar p-value below which a candidate's gain over the champion is real (default ${DEFAULT-VALUE}).")
  public double significance;

  @Option(names = "--drift-threshold", defaultValue = "0.2",
      description = "Drift event when the champion's accuracy on a label's recent validation samples falls this much "
          + "below its accuracy when published; 1 = off (default ${DEFAULT-VALUE}).")
  public double driftThreshold;

  @Option(names = "--window-per-class", defaultValue = "200",
      description = "Validation and test windows: newest samples kept per label (default ${DEFAULT-VALUE}).")
  public int windowPerClass;

  @Option(names = "--window-max-mb", defaultValue = "128",
      description = "Validation and test windows: pixel memory each, MiB (default ${DEFAULT-VALUE}).")
  public long windowMaxMb;

  @Option(names = "--replay-augment", defaultValue = "width_shift_range=0.1,height_shift_range=0.1,zoom_range=0.1",
      description = "Augmentation drawn afresh for each replayed sample, Keras-named key=value pairs (as --augment-spec), "
          + "or none (default ${DEFAULT-VALUE}).")
  public String replayAugment;

  @Option(names = "--checkpoint-every-steps", defaultValue = "0", description = "Checkpoint every N steps; 0 = off (default ${DEFAULT-VALUE}).")
  public int checkpointEverySteps;

  @Option(names = "--checkpoint-every-seconds", defaultValue = "600",
      description = "Checkpoint at least this often while training, s; 0 = off (default ${DEFAULT-VALUE}).")
  public long checkpointEverySeconds;

  @Option(names = "--keep-checkpoints", defaultValue = "3", description = "Newest checkpoints kept besides the best (default ${DEFAULT-VALUE}).")
  public int keepCheckpoints;

  @Option(names = "--shuffle-buffer", defaultValue = "256",
      description = "Train minibatches are drawn at random from this many buffered samples (default ${DEFAULT-VALUE}).")
  public int shuffleBuffer;

  @Option(names = "--grow-labels", description = "A labelled image of a new label adds it to the model (the head gains an "
      + "output, the other classes keep their weights) instead of being refused; rehearsal is on (--replay-ratio 2) unless set.")
  public boolean growLabels;

  @Option(names = "--replay-ratio", description = "Rehearsal: earlier train samples (class-balanced, re-augmented) mixed "
      + "into each minibatch per new sample, in [0, 8]; 0 = off (default: 2 with --grow-labels or --epochs 1, else 0).")
  public Double replayRatio;

  @Option(names = "--replay-per-class", defaultValue = "64",
      description = "Rehearsal memory: train samples kept per class (default ${DEFAULT-VALUE}).")
  public int replayPerClass;

  /** The replay augmentation spec of {@code --replay-augment}. */
  public AugmentSpec replaySpec() {
    if (replayAugment.isBlank() || replayAugment.equals("none")) {
      return AugmentSpec.none();
    }
    Properties p = new Properties();
    for (String kv : replayAugment.split(",(?=[a-z_]+=)")) {
      int eq = kv.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("trainer.replay-augment must be key=value pairs or none, was '" + replayAugment
            + "' (set --replay-augment)");
      }
      p.setProperty(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim());
    }
    return AugmentSpec.fromProperties(p, AugmentSpec.none());
  }

  @Option(names = "--scratch-width", defaultValue = "16",
      description = "scratch-cnn: filters of the first block, doubling per block (default ${DEFAULT-VALUE}).")
  public int scratchWidth;

  @Option(names = "--scratch-blocks", defaultValue = "3",
      description = "scratch-cnn: convolution blocks, each halving the image side (default ${DEFAULT-VALUE}).")
  public int scratchBlocks;
}
