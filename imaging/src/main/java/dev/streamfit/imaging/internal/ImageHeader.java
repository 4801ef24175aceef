package dev.streamfit.imaging.internal;

import dev.streamfit.imaging.ImageRejectedException;
import dev.streamfit.schemas.RejectReason;

/**
 * Reads format, width and height from the first bytes of an encoded image without decoding pixels,
 * and checks that the stream is complete (JPEG ends with EOI, PNG with IEND) and single-frame.
 *
 * @param orientation EXIF orientation 1..8 of a JPEG (1 = as stored; PNG always 1)
 */
public record ImageHeader(String mediaType, int width, int height, int orientation) {
  /** A header without EXIF orientation (1 = as stored). */
  public ImageHeader(String mediaType, int width, int height) {
    this(mediaType, width, height, 1);
  }

  private static final byte[] PNG_SIG = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

  /** Parses and validates the container; throws with a reason code if the bytes are not acceptable. */
  public static ImageHeader probe(byte[] b) throws ImageRejectedException {
    if (b.length >= 3 && (b[0] & 0xFF) == 0xFF && (b[1] & 0xFF) == 0xD8 && (b[2] & 0xFF) == 0xFF) {
      return jpeg(b);
    }
    if (b.length >= 8 && startsWith(b, PNG_SIG)) {
      return png(b);
    }
    throw new ImageRejectedException(RejectReason.UNSUPPORTED_FORMAT,
        "not a JPEG or PNG (magic bytes " + hex(b, 8) + "); accepted formats: image/jpeg, image/png");
  }

  private static ImageHeader jpeg(byte[] b) throws ImageRejectedException {
    int end = b.length;
    while (end > 2 && b[end - 1] == 0) {
      end--; // tolerate zero padding after EOI
    }
    if (end < 4 || (b[end - 2] & 0xFF) != 0xFF || (b[end - 1] & 0xFF) != 0xD9) {
      throw new ImageRejectedException(RejectReason.CORRUPT_IMAGE, "truncated JPEG: no end-of-image marker (FFD9)");
    }
    int i = 2;
    int orientation = 1;
    while (i + 4 <= end) {
      if ((b[i] & 0xFF) != 0xFF) {
        throw new ImageRejectedException(RejectReason.CORRUPT_IMAGE, "corrupt JPEG: expected a marker at byte " + i);
      }
      int marker = b[i + 1] & 0xFF;
      if (marker == 0xFF) {
        i++;
        continue;
      }
      if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
        i += 2;
        continue;
      }
      int len = ((b[i + 2] & 0xFF) << 8) | (b[i + 3] & 0xFF);
      if (len < 2 || i + 2 + len > end) {
        throw new ImageRejectedException(RejectReason.CORRUPT_IMAGE, "corrupt JPEG: segment at byte " + i + " overruns data");
      }
      boolean sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
      if (sof) {
        if (len < 7) {
          throw new ImageRejectedException(RejectReason.CORRUPT_IMAGE, "corrupt JPEG: short frame header");
        }
        int h = ((b[i + 5] & 0xFF) << 8) | (b[i + 6] & 0xFF);
        int w = ((b[i + 7] & 0xFF) << 8) | (b[i + 8] & 0xFF);
        if (w == 0 || h == 0) {
          throw new ImageRejectedException(RejectReason.CORRUPT_IMAGE, "corrupt JPEG: zero dimension " + w + "x" + h);
        }
        if (i + 2 + len >= end - 2) {
          throw new ImageRejectedException(RejectReason.CORRUPT_IMAGE, "truncated JPEG: no scan data after the frame header");
        }
        return new ImageHeader("image/jpeg", w, h, orientation);
      }
      if (marker == 0xDA || marker == 0xD9) {
        break;
      }
      if (marker == 0xE1 && orientation == 1) {
        orientation = exifOrientation(b, i + 4, len - 2);
      }
      i += 2 + len;
    }
    throw new ImageRejectedException(RejectReason.CORRUPT_IMAGE, "corrupt JPEG: no frame header (SOF) found");
  }

  private static ImageHeader png(byte[] b) throws ImageRejectedException {
    int i = 8;
    int w = -1;
    int h = -1;
    boolean idat = false;
    while (i + 12 <= b.length) {
      long len = ((long) (b[i] & 0xFF) << 24) | ((b[i + 1] & 0xFF) << 16) | ((b[i + 2] & 0xFF) << 8) | (b[i + 3] & 0xFF);
      String type = new String(b, i + 4, 4, java.nio.charset.StandardCharsets.US_ASCII);
      if (len > b.length - i - 12) {
        throw new ImageRejectedException(RejectReason.CORRUPT_IMAGE, "truncated PNG: chunk " + type + " overruns data");
      }
      switch (type) {
        case "IHDR" -> {
          if (len < 8) {
            throw new ImageRejectedException(RejectReason.CORRUPT_IMAGE, "corrupt PNG: short IHDR");
          }
          w = (int) (((long) (b[i + 8] & 0xFF) << 24) | ((b[i + 9] & 0xFF) << 16) | ((b[i + 10] & 0xFF) << 8) | (b[i + 11] & 0xFF));
          h = (int) (((long) (b[i + 12] & 0xFF) << 24) | ((b[i + 13] & 0xFF) << 16) | ((b[i + 14] & 0xFF) << 8) | (b[i + 15] & 0xFF));
        }
        case "acTL" -> throw new ImageRejectedException(RejectReason.UNSUPPORTED_FORMAT, "animated PNG (multi-frame) is not accepted");
        case "IDAT" -> idat = true;
        case "IEND" -> {
          if (w <= 0 || h <= 0) {
            throw new ImageRejectedException(RejectReason.CORRUPT_IMAGE, "corrupt PNG: missing or invalid IHDR");
          }
          if (!idat) {
            throw new ImageRejectedException(RejectReason.CORRUPT_IMAGE, "corrupt PNG: no image data");
          }
          return new ImageHeader("image/png", w, h);
        }
        default -> { }
      }
      i += (int) (12 + len);
    }
    throw new ImageRejectedException(RejectReason.CORRUPT_IMAGE, "truncated PNG: no IEND chunk");
  }

  /** EXIF Orientation (tag 0x0112 of IFD0) of an APP1 payload at {@code off}, 1 if absent or unreadable. */
  static int exifOrientation(byte[] b, int off, int len) {
    if (len < 14 || b[off] != 'E' || b[off + 1] != 'x' || b[off + 2] != 'i' || b[off + 3] != 'f') {
      return 1;
    }
    int t = off + 6; // TIFF header
    int end = off + len;
    boolean le = b[t] == 'I';
    if (!le && b[t] != 'M') {
      return 1;
    }
    long ifd = u32(b, t + 4, le);
    if (ifd < 8 || t + ifd + 2 > end) {
      return 1;
    }
    int p = (int) (t + ifd);
    int n = u16(b, p, le);
    for (int k = 0; k < n && p + 2 + 12 * (k + 1) <= end; k++) {
      int e = p + 2 + 12 * k;
      if (u16(b, e, le) == 0x0112) {
        int v = u16(b, e + 8, le);
        return v >= 1 && v <= 8 ? v : 1;
      }
    }
    return 1;
  }

  private static int u16(byte[] b, int i, boolean le) {
    return le ? (b[i] & 0xFF) | (b[i + 1] & 0xFF) << 8 : (b[i] & 0xFF) << 8 | (b[i + 1] & 0xFF);
  }

  private static long u32(byte[] b, int i, boolean le) {
    return le ? (u16(b, i, true) | (long) u16(b, i + 2, true) << 16) : ((long) u16(b, i, false) << 16 | u16(b, i + 2, false));
  }

  private static boolean startsWith(byte[] b, byte[] prefix) {
    for (int i = 0; i < prefix.length; i++) {
      if (b[i] != prefix[i]) {
        return false;
      }
    }
    return true;
  }

  private static String hex(byte[] b, int n) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < Math.min(n, b.length); i++) {
      sb.append(String.format("%02x", b[i] & 0xFF));
    }
    return sb.length() == 0 ? "(none)" : sb.toString();
  }
}
