package dev.streamfit.imaging;

import dev.streamfit.imaging.internal.TurboJpeg;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_imgcodecs;
import org.bytedeco.opencv.global.opencv_imgproc;

/**
 * Loads the imaging stage's native libraries (OpenCV core, imgproc, imgcodecs; TurboJPEG when present)
 * once, on the calling thread. Call it before starting threads that decode or warp images: glibc's
 * dynamic loader can deadlock a JVM when one thread {@code dlopen}s a library while others load other
 * libraries or create threads (seen in a test JVM; see {@code engine.Natives}). Idempotent and
 * thread-safe; later calls return at once.
 */
public final class ImagingNatives {
  private static volatile boolean loaded;

  private ImagingNatives() {}

  /** Loads OpenCV's modules and TurboJPEG (if installed) unless already loaded. */
  public static synchronized void load() {
    if (loaded) {
      return;
    }
    Loader.load(opencv_core.class);
    Loader.load(opencv_imgproc.class);
    Loader.load(opencv_imgcodecs.class);
    TurboJpeg.available();
    loaded = true;
  }
}
