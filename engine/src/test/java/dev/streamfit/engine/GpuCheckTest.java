package dev.streamfit.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class GpuCheckTest {
  @Test
  void gpusUpToAmpereAreAccepted() {
    assertThat(GpuCheck.unsupported(List.of("NVIDIA A100-SXM4-80GB, 8.0", "NVIDIA A10, 8.6", "Tesla T4, 7.5", ""))).isEmpty();
  }

  @Test
  void hopperIsRefusedByNameWithTheWayOut() {
    String msg = GpuCheck.unsupported(List.of("NVIDIA A10, 8.6", "NVIDIA H100 80GB HBM3, 9.0")).orElseThrow();
    assertThat(msg).contains("NVIDIA H100 80GB HBM3 (compute capability 9.0)").doesNotContain("A10,")
        .contains("3.7–8.6").contains("CPU build").contains("CUDA_VISIBLE_DEVICES");
    assertThat(GpuCheck.unsupported(List.of("NVIDIA GeForce RTX 4090, 8.9"))).isPresent();
  }

  @Test
  void unreadableAnswersAreRefusedNotIgnored() {
    assertThat(GpuCheck.unsupported(List.of("NVIDIA-SMI has failed because it couldn't communicate with the driver")))
        .hasValueSatisfying(m -> assertThat(m).contains("unreadable"));
  }

  @Test
  void theCpuBuildHasNoCudaBackendAndSkipsTheCheck() {
    assertThat(GpuCheck.cudaBackendPresent()).isFalse();
    GpuCheck.verifyBeforeNd4j(); // no nvidia-smi here; must not be called
  }
}
