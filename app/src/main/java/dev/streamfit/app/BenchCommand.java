package dev.streamfit.app;

import dev.streamfit.bench.BenchAugmentCommand;
import dev.streamfit.bench.BenchFreshnessCommand;
import dev.streamfit.bench.BenchIngestCommand;
import dev.streamfit.bench.BenchModelCommand;
import dev.streamfit.bench.BenchPipelineCommand;
import dev.streamfit.bench.BenchServeCommand;
import dev.streamfit.bench.BenchTrainPeerCommand;
import picocli.CommandLine.Command;

/** {@code streamfit bench}: benchmarks (not tests); each prints a table, then {@code RESULT} lines. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks: tables, then RESULT <metric> <value> lines.",
    subcommands = {BenchModelCommand.class, BenchAugmentCommand.class, BenchServeCommand.class,
        BenchIngestCommand.class, BenchFreshnessCommand.class, BenchPipelineCommand.class, BenchTrainPeerCommand.class})
public final class BenchCommand implements Runnable {
  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }
}
