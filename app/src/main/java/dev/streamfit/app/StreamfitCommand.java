package dev.streamfit.app;

import picocli.CommandLine.Command;

/** {@code streamfit}: the top-level command. */
@Command(name = "streamfit", mixinStandardHelpOptions = true, version = "streamfit 0.1.0",
    description = "Continuous image-classifier training on Kafka: ingest → augment → train → serve.",
    subcommands = {DemoCommand.class, IngestCommand.class, AugmentCommand.class, FeaturesCommand.class, TrainCommand.class, CheckCommand.class, RunsCommand.class,
        ServeCommand.class, BrokerCommand.class, BenchCommand.class})
public final class StreamfitCommand implements Runnable {
  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }
}
