package dev.streamfit.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The launcher applies the thread plan (OpenMP waits passively where stages share cores) and keeps native buffers in
 * glibc's heap; a user's choice wins.
 */
class LauncherPlanTest {
  static String dryRun(Map<String, String> env, String... args) throws Exception {
    Path launcher = Path.of(System.getProperty("streamfit.root", "..")).resolve("streamfit").toAbsolutePath();
    ProcessBuilder pb = new ProcessBuilder(new java.util.ArrayList<>(List.of("bash", launcher.toString())));
    pb.command().addAll(List.of(args));
    pb.environment().remove("OMP_WAIT_POLICY");
    pb.environment().remove("MALLOC_MMAP_THRESHOLD_");
    pb.environment().putAll(env);
    pb.environment().put("STREAMFIT_DRY_RUN", "1");
    pb.redirectErrorStream(true);
    Process p = pb.start();
    try {
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).as(out).isZero();
      return out;
    } finally {
      p.destroyForcibly();
    }
  }

  @Test
  void stagesSharingCoresWaitPassively() throws Exception {
    for (String[] cmd : List.of(new String[] {"demo"}, new String[] {"train", "--help"}, new String[] {"features"},
        new String[] {"bench", "pipeline"}, new String[] {"serve"})) {
      assertThat(dryRun(Map.of(), cmd)).as(String.join(" ", cmd)).contains("OMP_WAIT_POLICY=passive\n");
    }
  }

  @Test
  void engineBenchmarksKeepOpenMpsDefaultAndAUsersChoiceWins() throws Exception {
    assertThat(dryRun(Map.of(), "bench", "model")).contains("OMP_WAIT_POLICY=\n");
    assertThat(dryRun(Map.of(), "bench", "augment")).contains("OMP_WAIT_POLICY=\n");
    assertThat(dryRun(Map.of("OMP_WAIT_POLICY", "active"), "demo")).contains("OMP_WAIT_POLICY=active\n");
  }

  @Test
  void nativeBuffersStayInGlibcsHeapUnlessTheUserChoseOtherwise() throws Exception {
    assertThat(dryRun(Map.of(), "demo")).contains("MALLOC_MMAP_THRESHOLD_=1073741824\n");
    assertThat(dryRun(Map.of(), "bench", "model")).contains("MALLOC_MMAP_THRESHOLD_=1073741824\n");
    assertThat(dryRun(Map.of("MALLOC_MMAP_THRESHOLD_", "65536"), "demo")).contains("MALLOC_MMAP_THRESHOLD_=65536\n");
    assertThat(dryRun(Map.of("STREAMFIT_MALLOC_TUNING", "0"), "demo")).contains("MALLOC_MMAP_THRESHOLD_=\n");
  }
}
