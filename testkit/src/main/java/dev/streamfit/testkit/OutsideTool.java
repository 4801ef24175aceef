package dev.streamfit.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A client no one here wrote (a linter, a Kafka tool), run as a process for the contract it checks. A machine
 * without it fails with how to install it; a run past its time limit is killed.
 */
public final class OutsideTool {
  /** What a run printed (stdout and stderr together) and its exit status. */
  public record Run(int exitCode, String output) {}

  private OutsideTool() {}

  /**
   * Runs {@code command} in {@code dir} (null: the current directory) with {@code stdin} as its standard input
   * (null: none), within {@code timeoutSeconds}.
   *
   * @param install how to get the tool, named in the error when it is missing (e.g. "apt-get install kcat")
   * @throws IllegalStateException if the tool is missing or does not finish in time
   */
  public static Run run(List<String> command, Path dir, byte[] stdin, long timeoutSeconds, String install)
      throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    if (dir != null) {
      pb.directory(dir.toFile());
    }
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      throw new IllegalStateException(command.get(0) + " is not installed (" + install + "): " + e.getMessage(), e);
    }
    try {
      Thread writer = new Thread(() -> {
        try (var in = p.getOutputStream()) {
          if (stdin != null) {
            in.write(stdin);
          }
        } catch (IOException e) {
          // the tool stopped reading: its output says why
        }
      }, command.get(0) + "-stdin");
      writer.setDaemon(true);
      writer.start();
      StringBuilder out = new StringBuilder();
      Thread reader = new Thread(() -> {
        try {
          out.append(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
          // killed: what was read is kept
        }
      }, command.get(0) + "-stdout");
      reader.setDaemon(true);
      reader.start();
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        throw new IllegalStateException(String.join(" ", command) + " did not finish within " + timeoutSeconds + " s");
      }
      reader.join(10_000);
      return new Run(p.exitValue(), out.toString());
    } finally {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
  }
}
