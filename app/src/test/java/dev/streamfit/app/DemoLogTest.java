package dev.streamfit.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streamfit.testkit.ChildProcesses;
import dev.streamfit.testkit.TestImages;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code streamfit demo} as a user runs it — a fresh JVM, the CLI, the shipped log configuration, its own
 * embedded broker — on a dataset that is not the clothing one (three other labels, 28x28 grayscale PNG, no
 * label flag): labels are discovered, nothing is refused, it exits 0 with a served prediction naming one of them,
 * then distils a narrower student from the champion ({@code --distill}) and compares them; its whole output has no line
 * with {@code ERROR} or {@code Exception} and no stack trace.
 */
class DemoLogTest {
  @TempDir
  Path tmp;

  @Test
  void demoOnAnotherDatasetIsQuietAndSucceeds() throws Exception {
    // MNIST-sized: 28x28 grayscale PNG, labels nobody configured, a network trained from scratch at 32 px
    Path data = TestImages.shapesDataset(tmp.resolve("shapes"), 12, 3, 28);
    Path log = tmp.resolve("demo.log");
    String root = System.getProperty("streamfit.root", "..");
    try (ChildProcesses children = new ChildProcesses()) {
      Process p = children.start(new ProcessBuilder(ChildProcesses.javaCommand(
          List.of("-Xmx2g", "-Dstreamfit.home=" + root), "dev.streamfit.app.Main",
          List.of("demo", "--data", data.toString(), "--epochs", "2", "--base", "scratch-cnn", "--image-size", "32", "--batch-size", "8",
              "--port", "0", "--timeout", "PT6M", "--work-dir", tmp.resolve("work").toString(),
              "--distill", "--student", "--base scratch-cnn --image-size 32 --scratch-width 8 --batch-size 8")))
          .redirectErrorStream(true).redirectOutput(log.toFile()));
      assertThat(p.waitFor(7, TimeUnit.MINUTES)).as("demo finished; output:%n%s", ChildProcesses.tail(log, 40)).isTrue();
      String out = Files.readString(log);
      System.out.println(out);
      assertThat(p.exitValue()).as("demo exit code; output:%n%s", out).isZero();
      assertThat(out).contains("3 labels [circle, square, triangle]").contains("→ HTTP 200")
          .contains("RESULT test.accuracy").contains("already published; 0 refused").containsPattern("rejected 0 \\{");
      String prediction = out.lines().filter(l -> l.contains("→ HTTP 200")).findFirst().orElseThrow();
      assertThat(prediction).containsPattern("\"label\":\"(circle|square|triangle)\"");
      // then a student distilled from the champion, published as its own model and served beside it
      assertThat(out).contains("distil   student shapes-student: scratch-cnn at 32 px from shapes v")
          .contains("teacher vs student").containsPattern("shapes-student v\\d+ +scratch-cnn")
          .contains("RESULT distill.student.val.accuracy").contains("RESULT ratio.latency.bs1.teacher_over_student");
      // both runs side by side, their differing configuration as columns
      assertThat(out.lines().filter(l -> l.startsWith("| run | model |")).findFirst().orElseThrow())
          .contains("distill-from").contains("scratch-width");
      assertThat(out.lines().filter(l -> l.startsWith("| shapes-"))).hasSize(2);
      assertThat(out.lines().filter(l -> l.contains("ERROR") || l.contains("Exception") || l.startsWith("\tat ")))
          .as("lines with ERROR, Exception or a stack frame in:%n%s", out).isEmpty();
    }
  }
}
