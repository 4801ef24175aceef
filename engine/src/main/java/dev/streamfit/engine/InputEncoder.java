package dev.streamfit.engine;

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
  /** Layout of the imported Keras graphs. */
  public static final String NHWC = "NHWC";

  private final int height;
  private final int width;

  public InputEncoder(int height, int width) {
    if (height <= 0 || width <= 0) {
      throw new IllegalArgumentException("input size must be positive, was " + height + "x" + width);
    }
    this.height = height;
    this.width = width;
  }

  /** Encodes {@code images} (each {@code height*width*3} bytes) into a {@code [n, h, w, 3]} float batch. */
  public INDArray encode(List<byte[]> images) {
    int per = height * width * 3;
    float[] data = new float[images.size() * per];
    int o = 0;
    for (byte[] img : images) {
      if (img.length != per) {
        throw new IllegalArgumentException("expected " + per + " bytes (" + height + "x" + width + "x3), got " + img.length);
      }
      for (byte b : img) {
        data[o++] = (b & 0xFF) / 127.5f - 1f;
      }
    }
    return Nd4j.create(data, new long[] {images.size(), height, width, 3}, DataType.FLOAT);
  }

  public int height() {
    return height;
  }

  public int width() {
    return width;
  }
}
