package dev.streamfit.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * The processes a test starts, stopped on {@link #close()} whatever the test's outcome: each one and its
 * descendants get SIGKILL and are waited for. Use it in try-with-resources around the test body, so a
 * failed assertion never leaves a JVM polling a broker that is gone. Thread-safe.
 */
public final class ChildProcesses implements AutoCloseable {
  private final List<Process> started = new CopyOnWriteArrayList<>();

  /** Starts {@code builder} and tracks the process. */
  public Process start(ProcessBuilder builder) throws IOException {
    Process p = builder.start();
    started.add(p);
    return p;
  }

  /**
   * A command line that runs {@code mainClass} in a fresh JVM with this JVM's classpath, Java binary and
   * the simple logger's levels, with {@code jvmOptions} before the class and {@code args} after it.
   */
  public static List<String> javaCommand(List<String> jvmOptions, String mainClass, List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmOptions);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
    cmd.add("-Dorg.slf4j.simpleLogger.log.dev.streamfit=info");
    String root = System.getProperty("streamfit.root");
    if (root != null) {
      cmd.add("-Dstreamfit.root=" + root);
    }
    cmd.add(mainClass);
    cmd.addAll(args);
    return cmd;
  }

  /** The last {@code lines} lines of {@code log} (for failure messages); "" if it does not exist. */
  public static String tail(Path log, int lines) {
    try {
      if (!Files.exists(log)) {
        return "";
      }
      List<String> all = Files.readAllLines(log);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Kills every tracked process (and its descendants) that is still alive and waits for it. */
  @Override
  public void close() {
    for (Process p : started) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
    for (Process p : started) {
      try {
        p.waitFor(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
