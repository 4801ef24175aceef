package org.nd4j.nativeblas;

/**
 * Compatibility shim for DL4J 1.0.0-M2.1's oneDNN layer helpers.
 *
 * <p>{@code org.deeplearning4j.nn.layers.mkldnn.BaseMKLDNNHelper.mkldnnEnabled()} looks up
 * {@code org.nd4j.nativeblas.Nd4jCpu$Environment.getInstance().isUseMKLDNN()} by reflection. In M2.1 the
 * native bindings moved to {@code org.nd4j.linalg.cpu.nativecpu.bindings.Nd4jCpu} and the method was
 * renamed {@code isUseONEDNN()}, so the lookup fails and every oneDNN helper (conv, batch norm,
 * pooling) silently falls back to the slow built-in path. This class restores the old name and
 * delegates to the new one. Drop it when DL4J's helper looks up the new class (fixed upstream after
 * M2.1) — {@code dev.streamfit.engine.CpuTuning#oneDnnHelpersActive()} then still reports the truth.
 */
public final class Nd4jCpu {
  private Nd4jCpu() {}

  /** The old-name view of the native environment. */
  public static final class Environment {
    private static final Environment INSTANCE = new Environment();

    private Environment() {}

    public static Environment getInstance() {
      return INSTANCE;
    }

    /**
     * Whether libnd4j was built with oneDNN and has it enabled; false on other backends (CUDA), where the
     * CPU bindings are absent. Looked up reflectively so the engine also compiles with {@code -Pcuda}.
     */
    public boolean isUseMKLDNN() {
      try {
        Class<?> env = Class.forName("org.nd4j.linalg.cpu.nativecpu.bindings.Nd4jCpu$Environment");
        Object instance = env.getMethod("getInstance").invoke(null);
        return (Boolean) env.getMethod("isUseONEDNN").invoke(instance);
      } catch (ReflectiveOperationException | LinkageError e) {
        return false;
      }
    }
  }
}
