package dev.streamfit.engine;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.layers.FrozenLayer;
import org.deeplearning4j.nn.layers.convolution.ConvolutionLayer;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;

/**
 * Turns on DL4J's oneDNN layer helpers, which 1.0.0-M2.1 leaves off in two ways: the system property
 * {@value #HELPERS_DISABLE} defaults to {@code true}, and the helpers' support check reflects on a class
 * name that M2.1 renamed (restored by the shim {@code org.nd4j.nativeblas.Nd4jCpu}). Together with the
 * {@code onednn-avx2} build of libnd4j this is what makes MobileNet forward passes fast on CPU (README,
 * "Performance"; {@code streamfit bench model} shows it).
 *
 * <p>To drop the workaround once DL4J fixes it: delete the shim and {@link #enableHelpers()};
 * {@link #oneDnnHelpersActive} (checked by a test) tells whether helpers are in use. A user who sets
 * {@value #HELPERS_DISABLE}{@code =true} explicitly keeps the built-in implementations.
 */
public final class CpuTuning {
  /** DL4J's switch for layer helpers (cuDNN / oneDNN); "true" disables them. */
  public static final String HELPERS_DISABLE = "org.eclipse.deeplearning4j.helpers.disable";

  private CpuTuning() {}

  /** Enables layer helpers unless the user configured the property. Call before building graphs. */
  public static void enableHelpers() {
    if (System.getProperty(HELPERS_DISABLE) == null) {
      System.setProperty(HELPERS_DISABLE, "false");
    }
  }

  /**
   * Sets the OpenMP thread count of the calling thread's next native ops for a forward pass over
   * {@code batchSize} images: all cores for batches, half of them (at least one) for single images,
   * where synchronisation costs more than a second core gains ({@code streamfit bench model} prints both; README,
   * "Threads and cores"). An explicit {@code OMP_NUM_THREADS} in the environment is left alone.
   */
  public static void threadsForBatch(int batchSize) {
    if (System.getenv("OMP_NUM_THREADS") != null && System.getenv("STREAMFIT_OMP_AUTO") == null) {
      return;
    }
    int cores = Runtime.getRuntime().availableProcessors();
    setThreads(batchSize <= 1 ? Math.max(1, cores / 2) : cores);
  }

  /** Sets the OpenMP thread count for the calling thread's next native ops (benchmarks). */
  public static void setThreads(int threads) {
    // NativeOpsHolder reads the backend's configuration that loading ND4J sets up: load it first (a no-op
    // once loaded), or a thread that touches ND4J first through here fails with an NPE in its static init.
    Nd4j.getBackend();
    NativeOpsHolder.getInstance().getDeviceNativeOps().setOmpNumThreads(Math.max(1, threads));
  }

  /** Whether the convolution layers of {@code graph} run through a oneDNN (or cuDNN) helper. */
  public static boolean oneDnnHelpersActive(ComputationGraph graph) {
    for (Layer l : graph.getLayers()) {
      Layer inner = l instanceof FrozenLayer f ? f.getInsideLayer() : l;
      if (inner instanceof ConvolutionLayer c) {
        return c.getHelper() != null;
      }
    }
    return false;
  }
}
