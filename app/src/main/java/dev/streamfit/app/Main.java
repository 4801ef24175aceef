package dev.streamfit.app;

import picocli.CommandLine;

/** Entry point of the {@code streamfit} launcher. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    try {
      // Before anything loads ND4J: a CUDA build on a GPU its kernels cannot run on stops here, clearly.
      dev.streamfit.engine.GpuCheck.verifyBeforeNd4j();
    } catch (IllegalStateException e) {
      System.err.println("error: " + e.getMessage());
      System.exit(1);
    }
    System.exit(commandLine().execute(args));
  }

  /** The CLI with all subcommands (also used by tests to check docker-compose commands). */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new StreamfitCommand());
    cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
      cmd.getErr().println("error: " + (ex.getMessage() == null ? ex.toString() : ex.getMessage()));
      if (Boolean.getBoolean("streamfit.debug")) {
        ex.printStackTrace(cmd.getErr());
      }
      return ex instanceof IllegalArgumentException ? 2 : 1;
    });
    return cl;
  }
}
