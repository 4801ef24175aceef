package dev.streamfit.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * Prometheus' own linter, {@code promtool check metrics} (Debian package {@code prometheus}), run on an exposition.
 * Tests call it for the contract a real Prometheus holds us to; a machine without it fails with how to install it.
 */
public final class Promtool {
  private Promtool() {}

  /**
   * What {@code promtool check metrics} prints for {@code exposition} (Prometheus text format): empty when every
   * family passes.
   *
   * @throws IllegalStateException if promtool is not installed or does not answer within 60 s
   */
  public static String check(String exposition) throws IOException, InterruptedException {
    Process p;
    try {
      p = new ProcessBuilder("promtool", "check", "metrics").redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new IllegalStateException("promtool is not installed (apt-get install prometheus): " + e.getMessage(), e);
    }
    try {
      Thread writer = new Thread(() -> {
        try (var in = p.getOutputStream()) {
          in.write(exposition.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
          // promtool stopped reading: its output says why
        }
      }, "promtool-stdin");
      writer.start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        throw new IllegalStateException("promtool check metrics did not finish within 60 s");
      }
      writer.join();
      return out.strip();
    } finally {
      p.destroyForcibly();
    }
  }
}
