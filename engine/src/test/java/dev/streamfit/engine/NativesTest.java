package dev.streamfit.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streamfit.testkit.ChildProcesses;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Natives#load()} loads every native library the stages use, so a fresh JVM whose threads then
 * make their first native calls all at once (HDF5, ND4J + BLAS, OpenCV, TurboJPEG, thread creation —
 * {@link NativeFirstUse}) loads nothing more while they run, and finishes: 20 fresh JVMs, two at a time.
 */
class NativesTest {
  static final int JVMS = 20;

  @TempDir
  Path work;

  @Test
  void preloadedJvmsNeverLoadALibraryWhileStageThreadsRun() throws Exception {
    try (ChildProcesses children = new ChildProcesses()) {
      for (int i = 0; i < JVMS; i += 2) {
        List<Process> pair = new ArrayList<>();
        for (int j = i; j < i + 2; j++) {
          pair.add(children.start(new ProcessBuilder(ChildProcesses.javaCommand(List.of("-Xmx512m"),
              NativeFirstUse.class.getName(), List.of("preload"))).redirectErrorStream(true)
              .redirectOutput(log(j).toFile())));
        }
        for (int j = 0; j < pair.size(); j++) {
          Process p = pair.get(j);
          boolean exited = p.waitFor(90, TimeUnit.SECONDS);
          String out = Files.readString(log(i + j));
          assertThat(exited).as("JVM %d finished within 90 s (a hang otherwise); output:%n%s", i + j + 1, out).isTrue();
          assertThat(p.exitValue()).as("JVM %d exit code; output:%n%s", i + j + 1, out).isZero();
          assertThat(out).as("JVM %d: no library loaded while its threads ran", i + j + 1)
              .contains("loaded during the concurrent first use: []");
        }
      }
    }
  }

  private Path log(int jvm) {
    return work.resolve("jvm-" + (jvm + 1) + ".log");
  }
}
