package dev.streamfit.engine;

import java.nio.FloatBuffer;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * uint8 HWC RGB pixel tensors → a float batch in the model's layout and scaling. No model needed.
 * Stateless and thread-safe. The returned array is owned by the caller (close it when done).
 */
public final class InputEncoder {
  /** Pixel scaling {@code x / 127.5 - 1}, the MobileNet family's. */
  public static final String MINUS_ONE_TO_ONE = "minus_one_to_one";
  /** Layout of the as-imported Keras graphs. */
  public static final String NHWC = "NHWC";
  /** Layout of optimized graphs ({@link Models#optimizedBase}). */
  public static final String NCHW = "NCHW";

  private final int height;
  private final int width;
  private final boolean nchw;

  /** An encoder to {@code layout} ({@link #NCHW} or {@link #NHWC}). */
  public InputEncoder(int height, int width, String layout) {
    if (height <= 0 || width <= 0) {
      throw new IllegalArgumentException("input size must be positive, was " + height + "x" + width);
    }
    if (!NCHW.equals(layout) && !NHWC.equals(layout)) {
      throw new IllegalArgumentException("layout must be NCHW or NHWC, was " + layout);
    }
    this.height = height;
    this.width = width;
    this.nchw = NCHW.equals(layout);
  }

  /**
   * Encodes {@code images} (each {@code height*width*3} bytes, HWC) into a float batch
   * {@code [n, 3, h, w]} (NCHW) or {@code [n, h, w, 3]} (NHWC).
   */
  public INDArray encode(List<byte[]> images) {
    int plane = height * width;
    int per = plane * 3;
    for (byte[] img : images) {
      if (img.length != per) {
        throw new IllegalArgumentException("expected " + per + " bytes (" + height + "x" + width + "x3), got " + img.length);
      }
    }
    long[] shape = nchw ? new long[] {images.size(), 3, height, width} : new long[] {images.size(), height, width, 3};
    // Written straight into the array's native buffer: a float[] staging copy would allocate 600 KB of heap
    // per 224x224 image, which at serving rates is most of the young-generation churn (and its GC pauses).
    INDArray x = Nd4j.createUninitializedDetached(DataType.FLOAT, 'c', shape);
    FloatBuffer out = x.data().asNioFloat();
    int base = 0;
    for (byte[] img : images) {
      if (nchw) {
        for (int p = 0, i = 0; p < plane; p++) {
          out.put(base + p, (img[i++] & 0xFF) / 127.5f - 1f);
          out.put(base + plane + p, (img[i++] & 0xFF) / 127.5f - 1f);
          out.put(base + 2 * plane + p, (img[i++] & 0xFF) / 127.5f - 1f);
        }
      } else {
        for (int i = 0; i < per; i++) {
          out.put(base + i, (img[i] & 0xFF) / 127.5f - 1f);
        }
      }
      base += per;
    }
    return x;
  }

  /** {@link #NCHW} or {@link #NHWC}. */
  public String layout() {
    return nchw ? NCHW : NHWC;
  }

  public int height() {
    return height;
  }

  public int width() {
    return width;
  }
}
