package dev.streamfit.schemas;

import java.util.Locale;

/** Stable reason codes written in {@link Rejection#getReason()} (and in HTTP error bodies). */
public enum RejectReason {
  /** The Kafka record itself could not be decoded as the expected Avro record. */
  MALFORMED_RECORD,
  /** Zero bytes of content. */
  EMPTY,
  /** Content exceeds the configured byte cap. */
  TOO_LARGE,
  /** Magic bytes are not an allowed image format. */
  UNSUPPORTED_FORMAT,
  /** The header declares dimensions beyond the configured caps. */
  DIMENSIONS_TOO_LARGE,
  /** Header unreadable, truncated data or decoder failure. */
  CORRUPT_IMAGE,
  /** Decoding would cost more than the decode budget allows (e.g. a JPEG with thousands of scans). */
  DECODE_COST,
  /** Label not in the configured label set. */
  UNKNOWN_LABEL,
  /** Label breaks the label syntax ({@link Labels#RULE}). */
  INVALID_LABEL,
  /** Pixel tensor does not match the declared shape. */
  BAD_SHAPE,
  /** Unexpected failure while processing; the message says what. */
  INTERNAL_ERROR;

  /** Lower-case code as written in records, e.g. {@code corrupt_image}. */
  public String code() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * The reason whose {@link #code()} is {@code code}; a code this version does not know (written by a newer one)
   * reads as {@link #INTERNAL_ERROR}.
   */
  public static RejectReason fromCode(String code) {
    for (RejectReason r : values()) {
      if (r.code().equals(code)) {
        return r;
      }
    }
    return INTERNAL_ERROR;
  }
}
