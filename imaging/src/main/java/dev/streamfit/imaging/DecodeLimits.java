package dev.streamfit.imaging;

/**
 * Caps checked before any pixel is decoded. Immutable.
 *
 * @param maxBytes largest encoded size accepted, bytes
 * @param maxSide largest width or height accepted, pixels
 * @param maxPixels largest width*height accepted
 * @param maxScans most entropy-coded scans of a progressive JPEG (each scan is a pass over the whole image:
 *     thousands of tiny scans make a small file cost minutes of CPU); besides, scans × pixels may not exceed
 *     {@link #scanPixelBudget()}
 */
public record DecodeLimits(int maxBytes, int maxSide, long maxPixels, int maxScans) {
  /** Default {@code maxScans}: encoders write about 10 (libjpeg's progressive script) and rarely more than 20. */
  public static final int DEFAULT_MAX_SCANS = 64;

  public DecodeLimits {
    if (maxBytes <= 0) {
      throw new IllegalArgumentException("decode.max-bytes must be > 0, was " + maxBytes + " (set --decode-max-bytes)");
    }
    if (maxSide <= 0) {
      throw new IllegalArgumentException("decode.max-side must be > 0, was " + maxSide + " (set --decode-max-side)");
    }
    if (maxPixels <= 0) {
      throw new IllegalArgumentException("decode.max-pixels must be > 0, was " + maxPixels + " (set --decode-max-pixels)");
    }
    if (maxScans < 1 || maxScans > 10_000) {
      throw new IllegalArgumentException("decode.max-scans must be in [1, 10000], was " + maxScans + " (set --decode-max-scans)");
    }
  }

  /** Caps with the default scan limit. */
  public DecodeLimits(int maxBytes, int maxSide, long maxPixels) {
    this(maxBytes, maxSide, maxPixels, DEFAULT_MAX_SCANS);
  }

  /** Most scans × pixels of one JPEG: 16 full passes at {@code maxPixels}. */
  public long scanPixelBudget() {
    return 16 * maxPixels;
  }

  /** 16 MiB, 8192 px per side, 40 megapixels, 64 scans. */
  public static DecodeLimits defaults() {
    return new DecodeLimits(16 * 1024 * 1024, 8192, 40_000_000L, DEFAULT_MAX_SCANS);
  }
}
