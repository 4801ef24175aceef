package dev.streamfit.engine;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

/**
 * One sample's output of a {@link FrozenPrefix}: a per-sample shape ({@code [c, h, w]} NCHW without the batch axis, or
 * {@code [k]}) and its values, stored as IEEE 754 half precision (little-endian, row-major, round to nearest even:
 * relative error ≤ 2^-11 for normal values, which is below what training on them notices). Immutable.
 */
public record Activations(List<Integer> shape, float[] values) {
  public Activations {
    shape = List.copyOf(shape);
    if (values.length != size(shape)) {
      throw new IllegalArgumentException(values.length + " values for shape " + shape);
    }
  }

  /** Number of values of a sample of {@code shape}; IllegalArgumentException for an empty, non-positive or huge shape. */
  public static int size(List<Integer> shape) {
    if (shape.isEmpty() || shape.stream().anyMatch(d -> d == null || d <= 0)) {
      throw new IllegalArgumentException("activation shape must be non-empty and positive, was " + shape);
    }
    long n = 1;
    for (int d : shape) {
      n *= d;
    }
    if (n > Integer.MAX_VALUE / 2) {
      throw new IllegalArgumentException("activation shape too large: " + shape);
    }
    return (int) n;
  }

  /** The values as half-precision bytes (2 per value). */
  public byte[] toFp16() {
    ByteBuffer out = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      out.putShort(toHalf(v));
    }
    return out.array();
  }

  /** Decodes {@link #toFp16} bytes of a sample of {@code shape}; a wrong byte count is IllegalArgumentException. */
  public static Activations fromFp16(List<Integer> shape, ByteBuffer fp16) {
    int n = size(shape);
    ByteBuffer in = fp16.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    if (in.remaining() != 2 * n) {
      throw new IllegalArgumentException("expected " + 2 * n + " bytes of fp16 for shape " + shape + ", got "
          + in.remaining());
    }
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = toFloat(in.getShort());
    }
    return new Activations(shape, v);
  }

  /** Float → half, round to nearest even; overflow → ±infinity, NaN stays NaN. */
  static short toHalf(float f) {
    int bits = Float.floatToRawIntBits(f);
    int sign = (bits >>> 16) & 0x8000;
    int exp = (bits >>> 23) & 0xFF;
    int mant = bits & 0x7FFFFF;
    if (exp == 0xFF) {
      return (short) (sign | 0x7C00 | (mant != 0 ? 0x200 : 0));
    }
    int e = exp - 127 + 15;
    if (e >= 0x1F) {
      return (short) (sign | 0x7C00);
    }
    if (e <= 0) {
      if (e < -10) {
        return (short) sign;
      }
      mant |= 0x800000;
      int shift = 14 - e;
      int half = mant >> shift;
      int rest = mant & ((1 << shift) - 1);
      int mid = 1 << (shift - 1);
      if (rest > mid || (rest == mid && (half & 1) != 0)) {
        half++;
      }
      return (short) (sign | half);
    }
    int half = (e << 10) | (mant >> 13);
    int rest = mant & 0x1FFF;
    if (rest > 0x1000 || (rest == 0x1000 && (half & 1) != 0)) {
      half++; // may carry into the exponent, up to infinity: correct
    }
    return (short) (sign | half);
  }

  /** Half → float (exact). */
  static float toFloat(short h) {
    int bits = h & 0xFFFF;
    int sign = (bits & 0x8000) << 16;
    int exp = (bits >>> 10) & 0x1F;
    int mant = bits & 0x3FF;
    if (exp == 0) {
      if (mant == 0) {
        return Float.intBitsToFloat(sign);
      }
      float v = mant / 1024f / 16384f; // subnormal: mant * 2^-24
      return sign != 0 ? -v : v;
    }
    if (exp == 0x1F) {
      return Float.intBitsToFloat(sign | 0x7F800000 | (mant << 13));
    }
    return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Activations a && shape.equals(a.shape) && Arrays.equals(values, a.values);
  }

  @Override
  public int hashCode() {
    return shape.hashCode() * 31 + Arrays.hashCode(values);
  }

  @Override
  public String toString() {
    return "Activations" + shape;
  }
}
