package dev.streamfit.pipeline;

import picocli.CommandLine.Option;

/** Options of the features stage that the trainer does not share (the prefix comes from --base, --image-size, --fine-tune-blocks). */
public final class FeaturesOptions {
  @Option(names = "--features-threads", defaultValue = "0",
      description = "Stream threads of the features stage, each with its own copy of the frozen prefix and one OpenMP "
          + "thread; 0 = one per core (default ${DEFAULT-VALUE}).")
  public int threads;

  /** Threads to run: {@link #threads}, or one per core (at most 64). */
  public int threads() {
    return threads > 0 ? threads : Math.min(64, Runtime.getRuntime().availableProcessors());
  }
}
