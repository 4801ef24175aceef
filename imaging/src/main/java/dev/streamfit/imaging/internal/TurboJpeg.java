package dev.streamfit.imaging.internal;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import dev.streamfit.imaging.ImageRejectedException;
import dev.streamfit.schemas.RejectReason;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * JPEG decoding through libjpeg-turbo's TurboJPEG API (Debian {@code libturbojpeg0}, loaded with JNA):
 * SIMD-accelerated (the libjpeg inside OpenCV's bundle decodes the same photos 2.6× slower here), straight
 * to RGB, fast integer IDCT, and DCT-scaled by 1/2, 1/4 or 1/8 when the result still covers the target.
 * Optional: when the library is missing (or {@code -Dstreamfit.turbojpeg=false}) callers use OpenCV.
 * Stateless apart from the loaded library; a TurboJPEG handle is created per call, so it is thread-safe.
 */
public final class TurboJpeg {
  private static final int TJPF_RGB = 0;
  private static final int TJCS_CMYK = 3;
  private static final int TJCS_YCCK = 4;
  private static final int TJFLAG_STOPONWARNING = 8192;
  private static final int TJFLAG_FASTDCT = 2048;
  private static final Optional<Lib> LIB = load();
  private static final List<int[]> SCALES = LIB.map(TurboJpeg::scales).orElse(List.of());

  /** The TurboJPEG 2.x functions we call. */
  interface Lib extends Library {
    Pointer tjInitDecompress();

    int tjDecompressHeader3(Pointer handle, byte[] jpeg, NativeLong size, IntByReference width, IntByReference height,
        IntByReference subsamp, IntByReference colorspace);

    int tjDecompress2(Pointer handle, byte[] jpeg, NativeLong size, Pointer dst, int width, int pitch, int height,
        int pixelFormat, int flags);

    Pointer tjGetScalingFactors(IntByReference count);

    String tjGetErrorStr2(Pointer handle);

    int tjDestroy(Pointer handle);
  }

  private TurboJpeg() {}

  private static Optional<Lib> load() {
    if (!Boolean.parseBoolean(System.getProperty("streamfit.turbojpeg", "true"))) {
      return Optional.empty();
    }
    for (String name : new String[] {"turbojpeg", "libturbojpeg.so.0"}) {
      try {
        return Optional.of(Native.load(name, Lib.class));
      } catch (UnsatisfiedLinkError e) {
        // try the next name; absent library = OpenCV path
      }
    }
    return Optional.empty();
  }

  private static List<int[]> scales(Lib lib) {
    IntByReference n = new IntByReference();
    Pointer p = lib.tjGetScalingFactors(n);
    List<int[]> out = new ArrayList<>();
    for (int i = 0; i < n.getValue(); i++) {
      int num = p.getInt(8L * i);
      int denom = p.getInt(8L * i + 4);
      // Only 1/1, 1/2, 1/4, 1/8: libjpeg-turbo's SIMD IDCT covers the 8x8 case, and the M/8 scales in between
      // run scalar code, slower than a full-size decode (README, "Augmentation").
      if (num == 1 && (denom == 1 || denom == 2 || denom == 4 || denom == 8)) {
        out.add(new int[] {num, denom});
      }
    }
    out.sort((a, b) -> Double.compare(a[0] / (double) a[1], b[0] / (double) b[1])); // smallest first
    return List.copyOf(out);
  }

  /** True when libturbojpeg was found and loaded. */
  public static boolean available() {
    return LIB.isPresent();
  }

  /** Side {@code dim} scaled by {@code num/denom}, rounded up (TurboJPEG's TJSCALED). */
  static int scaled(int dim, int num, int denom) {
    return (dim * num + denom - 1) / denom;
  }

  /**
   * Decodes {@code jpeg} ({@code width}x{@code height} from its header) to RGB at the smallest of 1/8, 1/4,
   * 1/2 whose sides are both at least {@code minSide} (full size if none is). Empty for CMYK/YCCK JPEGs
   * (left to OpenCV) or when the library is absent; throws for data libjpeg reports as corrupt. The caller
   * closes the returned Mat.
   */
  public static Optional<Mat> decodeRgb(byte[] jpeg, int width, int height, int minSide) throws ImageRejectedException {
    if (LIB.isEmpty()) {
      return Optional.empty();
    }
    Lib lib = LIB.get();
    Pointer h = lib.tjInitDecompress();
    if (h == null) {
      return Optional.empty();
    }
    try {
      IntByReference w = new IntByReference();
      IntByReference hh = new IntByReference();
      IntByReference sub = new IntByReference();
      IntByReference cs = new IntByReference();
      NativeLong size = new NativeLong(jpeg.length);
      if (lib.tjDecompressHeader3(h, jpeg, size, w, hh, sub, cs) != 0) {
        throw new ImageRejectedException(RejectReason.CORRUPT_IMAGE, "corrupt JPEG: " + lib.tjGetErrorStr2(h));
      }
      if (cs.getValue() == TJCS_CMYK || cs.getValue() == TJCS_YCCK) {
        return Optional.empty();
      }
      int ow = w.getValue();
      int oh = hh.getValue();
      for (int[] s : SCALES) {
        if (minSide > 0 && scaled(w.getValue(), s[0], s[1]) >= minSide && scaled(hh.getValue(), s[0], s[1]) >= minSide) {
          ow = scaled(w.getValue(), s[0], s[1]);
          oh = scaled(hh.getValue(), s[0], s[1]);
          break;
        }
      }
      Mat out = new Mat(oh, ow, CV_8UC3);
      int rc = lib.tjDecompress2(h, jpeg, size, new Pointer(out.data().address()), ow, ow * 3, oh, TJPF_RGB,
          TJFLAG_STOPONWARNING | TJFLAG_FASTDCT);
      if (rc != 0) {
        String why = lib.tjGetErrorStr2(h);
        out.close();
        throw new ImageRejectedException(RejectReason.CORRUPT_IMAGE, "corrupt JPEG data: " + why);
      }
      return Optional.of(out);
    } finally {
      lib.tjDestroy(h);
    }
  }
}
