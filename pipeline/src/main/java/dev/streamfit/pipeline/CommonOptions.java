package dev.streamfit.pipeline;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Options every stage command shares: model input size, run seed, work directory. */
public final class CommonOptions {
  @Option(names = "--image-size", defaultValue = "224", description = "Model input side in pixels (default ${DEFAULT-VALUE}).")
  public int imageSize;

  @Option(names = "--seed", defaultValue = "42", description = "Run seed for augmentation and weight init (default ${DEFAULT-VALUE}).")
  public long seed;

  @Option(names = "--work-dir", defaultValue = "streamfit-work", description = "Checkpoints and Kafka Streams state (default ${DEFAULT-VALUE}).")
  public Path workDir;
}
