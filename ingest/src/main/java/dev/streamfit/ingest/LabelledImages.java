package dev.streamfit.ingest;

import dev.streamfit.ingest.internal.Publisher;
import dev.streamfit.schemas.Split;
import java.util.Locale;

/**
 * Publishes labelled training images to {@code images.raw} exactly as ingest does (the edge guards, the byte cap,
 * de-duplication against {@code images.index}, one transaction per call), for stages that learn a label after the
 * fact (serving's corrections from feedback). Thread-safe; {@link #close} aborts nothing committed.
 */
public final class LabelledImages implements AutoCloseable {
  /** What became of an image: {@code published}, {@code duplicate} or {@code rejected} (with the reason code). */
  public record Result(String id, String status, String reason, String message) {}

  private final Publisher publisher;

  private LabelledImages(Publisher publisher) {
    this.publisher = publisher;
  }

  /** Creates missing topics, reads the index of published ids and opens a transactional producer. */
  public static LabelledImages open(IngestConfig config) {
    return new LabelledImages(new Publisher(config));
  }

  /** Publishes {@code content} with {@code label} to the train split and commits before returning. */
  public Result publish(byte[] content, String source, String label) {
    Publisher.Outcome o = publisher.publish(content, source, Split.TRAIN, label);
    publisher.commit();
    return new Result(o.id(), o.status().name().toLowerCase(Locale.ROOT), o.reason() == null ? null : o.reason().code(),
        o.message());
  }

  @Override
  public void close() {
    publisher.close();
  }
}
