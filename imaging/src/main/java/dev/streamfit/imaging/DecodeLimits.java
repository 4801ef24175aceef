package dev.streamfit.imaging;

/**
 * Caps checked before any pixel is decoded. Immutable.
 *
 * @param maxBytes largest encoded size accepted, bytes
 * @param maxSide largest width or height accepted, pixels
 * @param maxPixels largest width*height accepted
 */
public record DecodeLimits(int maxBytes, int maxSide, long maxPixels) {
  public DecodeLimits {
    if (maxBytes <= 0) {
      throw new IllegalArgumentException("decode.max-bytes must be > 0, was " + maxBytes);
    }
    if (maxSide <= 0) {
      throw new IllegalArgumentException("decode.max-side must be > 0, was " + maxSide);
    }
    if (maxPixels <= 0) {
      throw new IllegalArgumentException("decode.max-pixels must be > 0, was " + maxPixels);
    }
  }

  /** 16 MiB, 8192 px per side, 40 megapixels. */
  public static DecodeLimits defaults() {
    return new DecodeLimits(16 * 1024 * 1024, 8192, 40_000_000L);
  }
}
