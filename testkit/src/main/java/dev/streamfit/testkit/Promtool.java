package dev.streamfit.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Prometheus' own linter, {@code promtool check metrics} (Debian package {@code prometheus}), run on an exposition:
 * the contract a real Prometheus holds us to.
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
    return OutsideTool.run(List.of("promtool", "check", "metrics"), null, exposition.getBytes(StandardCharsets.UTF_8), 60,
        "apt-get install prometheus").output().strip();
  }
}
