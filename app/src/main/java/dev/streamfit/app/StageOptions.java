package dev.streamfit.app;

import dev.streamfit.augment.ops.AugmentSpec;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Model and augmentation options shared by demo, augment and train. */
public final class StageOptions {
  @Option(names = "--image-size", defaultValue = "224", description = "Model input side in pixels (default ${DEFAULT-VALUE}).")
  int imageSize;

  @Option(names = "--epochs", defaultValue = "3", description = "Augmented variants per train image, one per epoch (default ${DEFAULT-VALUE}).")
  int epochs;

  @Option(names = "--epoch-mode", defaultValue = "passes",
      description = "passes: epoch-major replays of images.raw; interleaved: all epochs' variants at once (default ${DEFAULT-VALUE}).")
  String epochMode;

  @Option(names = "--instance-id", defaultValue = "",
      description = "Stable id of this augment instance (Kafka static membership): a restart takes its partitions back at once.")
  String instanceId;

  @Option(names = "--seed", defaultValue = "42", description = "Run seed for augmentation and weight init (default ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = {"--rotation-range", "--rotation"}, defaultValue = "30",
      description = "Keras rotation_range: rotation drawn from [-r, r] degrees (default ${DEFAULT-VALUE}).")
  double rotation;

  @Option(names = "--width-shift-range", defaultValue = "0.1",
      description = "Keras width_shift_range: fraction of the width if < 1, else pixels (default ${DEFAULT-VALUE}).")
  double widthShift;

  @Option(names = "--height-shift-range", defaultValue = "0.1",
      description = "Keras height_shift_range: fraction of the height if < 1, else pixels (default ${DEFAULT-VALUE}).")
  double heightShift;

  @Option(names = "--shift", description = "Sets both shift ranges.")
  void shift(double v) {
    widthShift = v;
    heightShift = v;
  }

  @Option(names = "--shear-range", defaultValue = "0", description = "Keras shear_range, degrees (default ${DEFAULT-VALUE}).")
  double shear;

  @Option(names = {"--zoom-range", "--zoom"}, defaultValue = "0.1",
      description = "Keras zoom_range: z for [1-z, 1+z], or lo,hi; zoom x and y drawn independently (default ${DEFAULT-VALUE}).")
  String zoom;

  @Option(names = {"--no-flip", "--no-horizontal-flip"}, description = "Disable random horizontal flips (Keras horizontal_flip=False).")
  boolean noFlip;

  @Option(names = "--vertical-flip", description = "Random vertical flips (Keras vertical_flip=True).")
  boolean verticalFlip;

  @Option(names = "--brightness-range", defaultValue = "1,1",
      description = "Keras brightness_range lo,hi: pixel multiplier (default ${DEFAULT-VALUE} = off).")
  String brightness;

  @Option(names = "--channel-shift-range", defaultValue = "0",
      description = "Keras channel_shift_range, 0..255 (default ${DEFAULT-VALUE}).")
  double channelShift;

  @Option(names = "--fill-mode", defaultValue = "nearest",
      description = "Keras fill_mode: nearest, constant, reflect or wrap (default ${DEFAULT-VALUE}).")
  String fillMode;

  @Option(names = "--cval", defaultValue = "0", description = "Fill value for --fill-mode constant (default ${DEFAULT-VALUE}).")
  double cval;

  @Option(names = "--blur-sigma", defaultValue = "0",
      description = "Gaussian blur, sigma drawn from [0, s] pixels (default ${DEFAULT-VALUE}).")
  double blurSigma;

  @Option(names = "--contrast-range", defaultValue = "0",
      description = "Contrast factor drawn from [1-c, 1+c] (default ${DEFAULT-VALUE}).")
  double contrast;

  @Option(names = "--saturation-range", defaultValue = "0",
      description = "Saturation factor drawn from [1-s, 1+s] (default ${DEFAULT-VALUE}).")
  double saturation;

  @Option(names = "--augment-spec", description = "Properties file with Keras-named augmentation keys; overrides the flags.")
  Path augmentSpec;

  @Option(names = "--learning-rate", defaultValue = "0.005", description = "Learning rate of the head (default ${DEFAULT-VALUE}).")
  double learningRate;

  @Option(names = "--base", defaultValue = "mobilenet-v1-0.75",
      description = "Pretrained base: mobilenet-v1-0.75 or mobilenetv2-0.35 (default ${DEFAULT-VALUE}; chosen on validation).")
  String base;

  @Option(names = "--inner-size", defaultValue = "0", description = "Inner dense layer of the head, units; 0 = none (default ${DEFAULT-VALUE}).")
  int innerSize;

  @Option(names = "--dropout", defaultValue = "0", description = "Dropout rate before the softmax layer (default ${DEFAULT-VALUE}).")
  double dropout;

  @Option(names = "--batch-size", defaultValue = "16", description = "Training minibatch size (default ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(names = "--eval-idle-ms", defaultValue = "3000",
      description = "Evaluate (checkpoint, maybe publish) after this long without new training input, ms (default ${DEFAULT-VALUE}).")
  long evalIdleMs;

  @Option(names = "--eval-every-steps", defaultValue = "0",
      description = "Also evaluate every N steps; 0 = at epoch ends and when idle only (default ${DEFAULT-VALUE}).")
  int evalEverySteps;

  @Option(names = "--optimizer", defaultValue = "adam", description = "adam or sgd (Nesterov momentum) (default ${DEFAULT-VALUE}).")
  String optimizer;

  @Option(names = "--momentum", defaultValue = "0.9", description = "SGD momentum (default ${DEFAULT-VALUE}).")
  double momentum;

  @Option(names = "--lr-schedule", defaultValue = "constant",
      description = "constant, step, exponential, cosine or cyclical (default ${DEFAULT-VALUE}).")
  String lrSchedule;

  @Option(names = "--lr-schedule-steps", defaultValue = "1000",
      description = "Schedule period in steps: decay interval, cosine length or half cycle (default ${DEFAULT-VALUE}).")
  long lrScheduleSteps;

  @Option(names = "--lr-gamma", defaultValue = "0.5", description = "Decay factor of step/exponential schedules (default ${DEFAULT-VALUE}).")
  double lrGamma;

  @Option(names = "--lr-min-factor", defaultValue = "0.0",
      description = "Floor of cosine/cyclical schedules, as a fraction of the rate (default ${DEFAULT-VALUE}).")
  double lrMinFactor;

  @Option(names = "--fine-tune-blocks", defaultValue = "0",
      description = "Train the base's top K blocks too; 0 = frozen base (default ${DEFAULT-VALUE}).")
  int fineTuneBlocks;

  @Option(names = "--fine-tune-learning-rate", defaultValue = "0.0005",
      description = "Learning rate of the fine-tuned blocks (default ${DEFAULT-VALUE}).")
  double fineTuneLearningRate;

  @Option(names = "--class-weights", split = ",", description = "Loss weight per class, in label order, comma-separated (default: all 1).")
  java.util.List<Double> classWeights = new java.util.ArrayList<>();

  @Option(names = "--early-stop-patience", defaultValue = "0",
      description = "Stop training after N evaluations without a better validation accuracy; 0 = never (default ${DEFAULT-VALUE}).")
  int earlyStopPatience;

  @Option(names = "--publish-margin", defaultValue = "0.0",
      description = "Publish when validation accuracy beats the champion by more than this; negative = every evaluation (default ${DEFAULT-VALUE}).")
  double publishMargin;

  @Option(names = "--checkpoint-every-steps", defaultValue = "0", description = "Checkpoint every N steps; 0 = off (default ${DEFAULT-VALUE}).")
  int checkpointEverySteps;

  @Option(names = "--checkpoint-every-seconds", defaultValue = "600",
      description = "Checkpoint at least this often while training, s; 0 = off (default ${DEFAULT-VALUE}).")
  long checkpointEverySeconds;

  @Option(names = "--keep-checkpoints", defaultValue = "3", description = "Newest checkpoints kept besides the best (default ${DEFAULT-VALUE}).")
  int keepCheckpoints;

  @Option(names = "--shuffle-buffer", defaultValue = "256",
      description = "Train minibatches are drawn at random from this many buffered samples (default ${DEFAULT-VALUE}).")
  int shuffleBuffer;

  @Option(names = "--work-dir", defaultValue = "streamfit-work", description = "Checkpoints and Kafka Streams state (default ${DEFAULT-VALUE}).")
  Path workDir;

  AugmentSpec spec() {
    double[] z = AugmentSpec.range(zoom, "zoom_range", true);
    double[] b = AugmentSpec.range(brightness, "brightness_range", false);
    AugmentSpec flags = new AugmentSpec(rotation, widthShift, heightShift, shear, z[0], z[1], !noFlip, verticalFlip,
        b[0], b[1], channelShift, AugmentSpec.FillMode.parse(fillMode), cval, blurSigma, contrast, saturation);
    if (augmentSpec == null) {
      return flags;
    }
    java.util.Properties p = new java.util.Properties();
    try (var in = java.nio.file.Files.newBufferedReader(augmentSpec)) {
      p.load(in);
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("cannot read --augment-spec " + augmentSpec + ": " + e.getMessage(), e);
    }
    return AugmentSpec.fromProperties(p, flags);
  }
}
