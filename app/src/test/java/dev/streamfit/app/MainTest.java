package dev.streamfit.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the CLI prints when a command fails: what failed, and what to do. */
class MainTest {
  @TempDir
  Path tmp;

  @Test
  void ownChecksPrintTheirMessageOthersTheirTypeAndCause() {
    assertThat(Main.describe(new IllegalArgumentException("--data x is not a folder"))).isEqualTo("--data x is not a folder");
    assertThat(Main.describe(new java.util.NoSuchElementException("No value present")))
        .isEqualTo("NoSuchElementException: No value present");
    assertThat(Main.describe(new java.io.UncheckedIOException("cannot read", new java.io.IOException("disk full"))))
        .isEqualTo("UncheckedIOException: cannot read; caused by IOException: disk full");
  }

  @Test
  void demoOnAFolderWithoutClassesExitsTwoWithTheLayoutItExpects() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    var cl = Main.commandLine();
    cl.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
    int rc = cl.execute("demo", "--data", tmp.toString(), "--port", "0");
    String out = err.toString(StandardCharsets.UTF_8);
    assertThat(rc).isEqualTo(2);
    assertThat(out).startsWith("error: --data " + tmp + " has 0 class folder(s) with images []")
        .contains("<split>/<class>/<image>").doesNotContain("Exception").doesNotContain("\tat ");
  }

  @Test
  void trainNeedsOneLabelSetAndRefusesBadOnesBeforeStarting() {
    for (String[] args : new String[][] {
        {"train"},
        {"train", "--labels", "cat"},
        {"train", "--labels", "Hat,hat"},
        {"train", "--labels", "cat,dog", "--labels-file", "x.txt"},
        {"train", "--labels", "cat,dog", "--model-name", "../evil"}}) {
      assertThat(refused(args)).startsWith("error: ").containsAnyOf("give exactly one of --labels",
          "2 to 1000 classes, named 1", "differ only in case", "trainer.model-name must be");
    }
  }

  /** Runs {@code args}, asserts exit code 2 with a one-line error (no stack trace), returns stderr. */
  static String refused(String... args) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    var cl = Main.commandLine();
    cl.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
    int rc = cl.execute(args);
    String out = err.toString(StandardCharsets.UTF_8);
    assertThat(rc).as(String.join(" ", args) + ": " + out).isEqualTo(2);
    assertThat(out).as(String.join(" ", args)).doesNotContain("Exception").doesNotContain("\tat ");
    return out;
  }

  @Test
  void serveRefusesABadRolloutBeforeStarting() {
    for (String[] args : new String[][] {
        {"serve", "--canary-share", "1.5"},
        {"serve", "--canary-share", "-0.1"},
        {"serve", "--rollout", "blue-green"},
        {"serve", "--rollback-threshold", "2"},
        {"serve", "--feedback-rate", "0"}}) {
      assertThat(refused(args)).as(String.join(" ", args)).startsWith("error: serving.").contains(args[1]);
    }
  }
}
