package dev.streamfit.app;

import dev.streamfit.engine.GpuCheck;
import dev.streamfit.engine.Natives;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine;

/** Entry point of the {@code streamfit} launcher. */
public final class Main {
  /** Commands whose stages decode images or run models (ingest loads what it needs itself). */
  private static final Set<String> NATIVE_COMMANDS =
      Set.of("demo", "serve", "train", "augment", "bench");
  /** Commands that start the embedded broker unless given {@code --bootstrap-servers}. */
  private static final Set<String> EMBEDDED_BROKER_COMMANDS = Set.of("demo", "bench");
  private Main() {}

  public static void main(String[] args) {
    quietEmbeddedBroker(args);
    boolean help = Arrays.stream(args).anyMatch(a -> a.equals("-h") || a.equals("--help") || a.equals("-V"));
    try {
      // Before anything loads ND4J: a CUDA build on a GPU its kernels cannot run on stops here, clearly.
      GpuCheck.verifyBeforeNd4j();
      if (args.length > 0 && NATIVE_COMMANDS.contains(args[0]) && !help) {
        // Every native library once, on this thread, before any stage starts a thread (see Natives).
        Natives.load();
      }
    } catch (IllegalStateException e) {
      System.err.println("error: " + e.getMessage());
      System.exit(1);
    } catch (LinkageError e) {
      System.err.println("error: cannot load the native libraries (ND4J, HDF5, OpenCV): " + describe(e)
          + "; streamfit ships linux-x86_64 natives (build with -Djavacpp.platform for another platform)");
      System.exit(1);
    }
    System.exit(commandLine().execute(args));
  }

  /**
   * With the broker in this JVM (a command that starts one, no {@code --bootstrap-servers}), Kafka's
   * {@code NetworkClient} warnings are about a loopback connection the user does not manage, and the broker
   * itself warns "Attempting to close NetworkClient that has already been closed" on every clean shutdown
   * (its registration channel is closed twice). Runs before any logger exists; a level the user set wins.
   */
  static void quietEmbeddedBroker(String[] args) {
    String key = "org.slf4j.simpleLogger.log.org.apache.kafka.clients.NetworkClient";
    boolean external = Arrays.stream(args).anyMatch(a -> a.startsWith("--bootstrap-servers"));
    if (args.length > 0 && EMBEDDED_BROKER_COMMANDS.contains(args[0]) && !external && System.getProperty(key) == null) {
      System.setProperty(key, "error");
    }
  }

  /** Failures streamfit raises itself with a message that says what to do. */
  private static boolean ownCheck(Throwable ex) {
    return ex instanceof IllegalArgumentException || ex instanceof IllegalStateException
        || ex instanceof TimeoutException;
  }

  /** One line naming what failed: our messages as they are; other exceptions with their type and cause. */
  static String describe(Throwable ex) {
    if (ownCheck(ex) && ex.getMessage() != null) {
      return ex.getMessage();
    }
    StringBuilder b = new StringBuilder();
    for (Throwable t = ex; t != null && b.length() < 600; t = t.getCause() == t ? null : t.getCause()) {
      b.append(b.length() == 0 ? "" : "; caused by ").append(t.getClass().getSimpleName())
          .append(t.getMessage() == null ? "" : ": " + t.getMessage());
    }
    return b.toString();
  }

  /** The CLI with all subcommands (also used by tests to check docker-compose commands). */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new StreamfitCommand());
    cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
      cmd.getErr().println("error: " + describe(ex));
      if (Boolean.getBoolean("streamfit.debug") || System.getenv("STREAMFIT_DEBUG") != null) {
        ex.printStackTrace(cmd.getErr());
      } else if (!ownCheck(ex)) {
        // Not one of our own checks (those say what to do): a bug or an environment problem.
        cmd.getErr().println("  this is unexpected; rerun with STREAMFIT_DEBUG=1 for the stack trace and report it");
      }
      return ex instanceof IllegalArgumentException ? 2 : 1;
    });
    return cl;
  }
}
