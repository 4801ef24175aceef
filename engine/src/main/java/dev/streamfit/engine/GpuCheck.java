package dev.streamfit.engine;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Refuses to start the ND4J CUDA backend on a GPU its kernels cannot run on, before ND4J touches the
 * device. ND4J 1.0.0-M2.1's {@code nd4j-cuda-11.6} ships SASS for compute capabilities 3.7–8.6 and no
 * PTX, so on newer GPUs (e.g. H100/H200, 9.0) every kernel launch fails natively. The check runs only
 * when the CUDA backend is on the classpath and asks {@code nvidia-smi} (no CUDA call). Stateless.
 */
public final class GpuCheck {
  /** Newest compute capability (major * 10 + minor) the bundled CUDA kernels were built for. */
  public static final int NEWEST_SUPPORTED = 86;
  private static final String CUDA_BACKEND = "org.nd4j.linalg.jcublas.JCublasBackend";

  private GpuCheck() {}

  /** True when the ND4J CUDA backend is on the classpath (the {@code -Pcuda} build). */
  public static boolean cudaBackendPresent() {
    try {
      Class.forName(CUDA_BACKEND, false, GpuCheck.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }

  /**
   * With the CUDA backend present, throws {@link IllegalStateException} naming the GPU, its compute
   * capability and what to do if any visible GPU is newer than {@value #NEWEST_SUPPORTED}; no-op on CPU builds.
   */
  public static void verifyBeforeNd4j() {
    if (!cudaBackendPresent()) {
      return;
    }
    List<String> lines;
    try {
      Process p = new ProcessBuilder("nvidia-smi", "--query-gpu=name,compute_cap", "--format=csv,noheader")
          .redirectErrorStream(true).start();
      if (!p.waitFor(20, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException("nvidia-smi did not answer within 20 s; cannot check the GPU's compute capability");
      }
      lines = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
    } catch (IOException e) {
      throw new IllegalStateException("the CUDA build needs nvidia-smi to check the GPU (" + e.getMessage()
          + "); install the NVIDIA driver utilities or use the CPU build", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while checking the GPU", e);
    }
    unsupported(lines).ifPresent(msg -> {
      throw new IllegalStateException(msg);
    });
  }

  /**
   * The refusal for {@code nvidia-smi --query-gpu=name,compute_cap --format=csv,noheader} output lines,
   * or empty when every GPU is supported. Pure; unparseable lines are reported too.
   */
  public static Optional<String> unsupported(List<String> nvidiaSmiLines) {
    List<String> bad = new ArrayList<>();
    for (String line : nvidiaSmiLines) {
      if (line.isBlank()) {
        continue;
      }
      int comma = line.lastIndexOf(',');
      String name = comma < 0 ? "?" : line.substring(0, comma).trim();
      String cap = (comma < 0 ? line : line.substring(comma + 1)).trim();
      String[] mm = cap.split("\\.");
      int cc;
      try {
        cc = Integer.parseInt(mm[0]) * 10 + (mm.length > 1 ? Integer.parseInt(mm[1]) : 0);
      } catch (NumberFormatException e) {
        bad.add(name + " (compute capability '" + cap + "' unreadable)");
        continue;
      }
      if (cc > NEWEST_SUPPORTED) {
        bad.add(name + " (compute capability " + cap + ")");
      }
    }
    if (bad.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of("GPU not supported by the bundled ND4J CUDA 11.6 kernels: " + String.join(", ", bad)
        + ". They are built for compute capability 3.7–8.6 without PTX, so they cannot run on it (e.g. H100/H200 = 9.0)."
        + " Use the CPU build (the default; omit -Pcuda) or a GPU up to 8.6 (e.g. A100 8.0, A10 8.6);"
        + " CUDA_VISIBLE_DEVICES can hide unsupported GPUs.");
  }
}
