package dev.streamfit.engine;

import dev.streamfit.imaging.ImagingNatives;
import org.bytedeco.javacpp.Loader;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Loads every native library the engine and the imaging code use — ND4J's backend (libnd4jcpu with
 * oneDNN and OpenBLAS), HDF5 (Keras h5 import), OpenCV, TurboJPEG — once, on the calling thread.
 *
 * <p>Why: glibc's dynamic loader and the JVM can deadlock when one thread {@code dlopen}s a library
 * (whose initialisers call back into the JVM) while another thread creates a thread (it waits for the
 * loader's TLS lock inside the VM) and the VM waits for a safepoint: the JVM then stops answering even
 * {@code jstack} (README, "Run the tests"). Every stage's {@code start} and the CLI call this before they
 * start any thread, so no library is loaded while stage threads run. Idempotent and thread-safe; later
 * calls return at once.
 */
public final class Natives {
  private static volatile boolean loaded;

  private Natives() {}

  /**
   * Loads the libraries unless already loaded, blocking meanwhile.
   *
   * @throws IllegalStateException from {@link GpuCheck#verifyBeforeNd4j()} (a CUDA build on a GPU it cannot run on)
   * @throws LinkageError if a library is missing for this platform
   */
  public static synchronized void load() {
    if (loaded) {
      return;
    }
    GpuCheck.verifyBeforeNd4j();
    CpuTuning.enableHelpers();
    ImagingNatives.load();
    loadIfPresent("org.bytedeco.openblas.global.openblas_nolapack"); // the CPU backend's BLAS (not with CUDA)
    loadIfPresent("org.bytedeco.openblas.global.openblas");
    Loader.load(org.bytedeco.hdf5.global.hdf5.class);
    Nd4j.getBackend();
    // The first op pulls in the rest of the backend (op executioner, workspaces, oneDNN).
    try (var a = Nd4j.create(new float[] {1f, 2f}, new long[] {1, 2})) {
      a.addi(1f);
    }
    loaded = true;
  }

  private static void loadIfPresent(String presetClass) {
    Class<?> c;
    try {
      c = Class.forName(presetClass, false, Natives.class.getClassLoader());
    } catch (ClassNotFoundException e) {
      return;
    }
    Loader.load(c);
  }
}
