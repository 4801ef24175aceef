package dev.streamfit.common;

import dev.streamfit.schemas.RejectReason;
import dev.streamfit.schemas.Rejection;
import java.time.Instant;
import java.util.Locale;

/** The one place that builds dead-letter records ({@link Rejection}). Stateless and thread-safe. */
public final class Rejections {
  /** The stage that refused a record, as written in {@link Rejection#getStage()}. */
  public enum Stage {
    INGEST, AUGMENT, FEATURES, TRAINER, SERVING;

    /** Lower-case name as written in records, e.g. {@code augment}. */
    public String code() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private Rejections() {}

  /**
   * A rejection of the record at {@code topic}/{@code partition}/{@code offset}.
   *
   * @param key the refused record's key; nullable
   * @param message what was wrong; null = the reason's code
   * @param topic nullable; a negative {@code partition} or {@code offset} is written as unknown (null)
   * @param source where the content came from (a file, a URL); nullable
   */
  public static Rejection of(Stage stage, String key, RejectReason reason, String message, String topic,
      int partition, long offset, String source) {
    return Rejection.newBuilder().setStage(stage.code()).setOriginalKey(key).setReason(reason.code())
        .setMessage(message == null ? reason.code() : message).setSourceTopic(topic)
        .setSourcePartition(partition < 0 ? null : partition).setSourceOffset(offset < 0 ? null : offset)
        .setSource(source).setRejectedAt(Instant.now()).build();
  }

  /** A rejection of content refused before it was a record (e.g. an upload or a file), from {@code source}. */
  public static Rejection of(Stage stage, String key, RejectReason reason, String message, String source) {
    return of(stage, key, reason, message, null, -1, -1, source);
  }
}
