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

  @Option(names = "--seed", defaultValue = "42", description = "Run seed for augmentation and weight init (default ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--rotation", defaultValue = "30", description = "Max rotation, degrees (default ${DEFAULT-VALUE}).")
  double rotation;

  @Option(names = "--shift", defaultValue = "0.1", description = "Max shift, fraction of size (default ${DEFAULT-VALUE}).")
  double shift;

  @Option(names = "--zoom", defaultValue = "0.1", description = "Max zoom deviation from 1 (default ${DEFAULT-VALUE}).")
  double zoom;

  @Option(names = "--no-flip", description = "Disable random horizontal flips.")
  boolean noFlip;

  @Option(names = "--learning-rate", defaultValue = "0.005", description = "Adam learning rate (default ${DEFAULT-VALUE}).")
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

  @Option(names = "--publish-idle-ms", defaultValue = "3000",
      description = "Evaluate, checkpoint and publish after this long without new training input (default ${DEFAULT-VALUE}).")
  long publishIdleMs;

  @Option(names = "--publish-every-steps", defaultValue = "0",
      description = "Also evaluate, checkpoint and publish every N steps; 0 = only when idle (default ${DEFAULT-VALUE}).")
  int publishEverySteps;

  @Option(names = "--shuffle-buffer", defaultValue = "256",
      description = "Train minibatches are drawn at random from this many buffered samples (default ${DEFAULT-VALUE}).")
  int shuffleBuffer;

  @Option(names = "--work-dir", defaultValue = "streamfit-work", description = "Checkpoints and Kafka Streams state (default ${DEFAULT-VALUE}).")
  Path workDir;

  AugmentSpec spec() {
    return new AugmentSpec(rotation, shift, zoom, !noFlip);
  }
}
