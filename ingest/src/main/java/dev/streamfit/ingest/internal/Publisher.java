package dev.streamfit.ingest.internal;

import dev.streamfit.imaging.ImageDecoder;
import dev.streamfit.imaging.ImageRejectedException;
import dev.streamfit.ingest.IngestConfig;
import dev.streamfit.schemas.AvroSerde;
import dev.streamfit.schemas.Hashes;
import dev.streamfit.schemas.ImageIndexEntry;
import dev.streamfit.schemas.RawImage;
import dev.streamfit.schemas.RejectReason;
import dev.streamfit.schemas.Rejection;
import dev.streamfit.schemas.Split;
import dev.streamfit.schemas.Topics;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Publishes images one at a time inside Kafka transactions: de-duplication against {@code images.index},
 * the byte cap, the decode guards (container only), the label set; an image goes to {@code images.raw} and
 * its id to {@code images.index} in the same transaction, a refusal to {@code images.rejected}. Thread-safe
 * (calls are serialised); {@link #commit} makes everything published so far visible.
 */
public final class Publisher implements AutoCloseable {
  /** What became of one image. {@code reason} and {@code message} are set when it was refused. */
  public record Outcome(String id, Status status, RejectReason reason, String message, Split split, String label) {}

  /** Published, skipped as already handled, or refused. */
  public enum Status { PUBLISHED, DUPLICATE, REJECTED }

  /** Bytes of images per transaction: large enough to amortise the commit, small enough to redo after a crash. */
  private static final long TRANSACTION_BYTES = 32L * 1024 * 1024;

  private final IngestConfig config;
  private final Topics topics;
  private final Set<String> known;
  private final ImageDecoder guard;
  private final KafkaProducer<String, byte[]> producer;
  private final AvroSerde<RawImage> rawSerde = AvroSerde.of(RawImage.class);
  private final AvroSerde<ImageIndexEntry> indexSerde = AvroSerde.of(ImageIndexEntry.class);
  private final AvroSerde<Rejection> rejectionSerde = AvroSerde.of(Rejection.class);
  private final Map<String, Long> perSplit = new TreeMap<>();
  private final Map<String, Long> rejectedByReason = new TreeMap<>();
  private long published;
  private long duplicates;
  private long bytes;
  private long inTransaction;
  private boolean open;

  /** Reads the index and opens the transactional producer. */
  public Publisher(IngestConfig config) {
    this.config = config;
    this.topics = config.topics();
    // Reading the index and initialising the transactional producer are independent round trips: overlap them.
    java.util.concurrent.CompletableFuture<Set<String>> index = java.util.concurrent.CompletableFuture.supplyAsync(
        () -> KnownImages.read(config.bootstrapServers(), topics.index()));
    this.guard = new ImageDecoder(config.limits());
    this.producer = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers(),
        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
        ProducerConfig.TRANSACTIONAL_ID_CONFIG, topics.prefix() + "streamfit-ingest-" + UUID.randomUUID(),
        ProducerConfig.ACKS_CONFIG, "all",
        ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.RAW_MAX_BYTES,
        ProducerConfig.LINGER_MS_CONFIG, 5,
        ProducerConfig.BATCH_SIZE_CONFIG, 1024 * 1024), new StringSerializer(), new ByteArraySerializer());
    try {
      producer.initTransactions();
      this.known = index.join();
    } catch (RuntimeException e) {
      producer.close();
      throw e instanceof java.util.concurrent.CompletionException c && c.getCause() instanceof RuntimeException r ? r : e;
    }
  }

  /**
   * Publishes {@code content} unless it was handled before; commits when the open transaction has grown past
   * 32 MB. {@code label} is null for unlabeled images; {@code source} says where it came from.
   */
  public Outcome publish(byte[] content, String source, Split split, String label, String mediaType) {
    return publish(content, Hashes.sha256Hex(content), source, split, label, mediaType);
  }

  /** As {@link #publish(byte[], String, Split, String, String)} with the id (SHA-256 hex of content) computed by the caller. */
  public synchronized Outcome publish(byte[] content, String id, String source, Split split, String label,
      String mediaType) {
    begin();
    if (!known.add(id)) {
      duplicates++;
      return new Outcome(id, Status.DUPLICATE, null, null, split, label);
    }
    RejectReason reason = null;
    String message = null;
    if (content.length > config.maxImageBytes()) {
      reason = RejectReason.TOO_LARGE;
      message = content.length + " bytes, above ingest.max-image-bytes=" + config.maxImageBytes();
    } else {
      try {
        var header = guard.probe(content);
        if (config.maxSide() > 0 && Math.max(header.width(), header.height()) > config.maxSide()) {
          String from = header.width() + "x" + header.height();
          content = downscale(content, header.width(), header.height());
          mediaType = "image/jpeg";
          source = source + " (downscaled at ingest from " + from + ")";
        }
      } catch (ImageRejectedException e) {
        reason = e.reason();
        message = e.getMessage();
      }
    }
    boolean contentRefused = reason != null;
    if (reason == null && label != null && !config.labels().isEmpty() && !config.labels().contains(label)) {
      if (config.unknownLabelAsUnlabeled()) {
        label = null;
        split = Split.UNLABELED;
      } else {
        reason = RejectReason.UNKNOWN_LABEL;
        message = "label '" + label + "' is not one of " + config.labels()
            + " (set --labels, or --unknown-label-as-unlabeled to publish it unlabeled)";
        known.remove(id); // a later run with another label set may publish it
      }
    }
    Instant now = Instant.now();
    if (reason != null) {
      reject(id, source, reason, message);
      if (contentRefused) {
        producer.send(new ProducerRecord<>(topics.index(), id, indexSerde.encode(ImageIndexEntry.newBuilder().setId(id)
            .setSplit(Split.UNLABELED).setLabel(null).setSource(source).setIngestedAt(now)
            .setRejectedReason(reason.code()).build())));
      }
      return new Outcome(id, Status.REJECTED, reason, message, split, label);
    }
    RawImage rec = RawImage.newBuilder().setId(id).setContent(ByteBuffer.wrap(content)).setMediaType(mediaType)
        .setLabel(label).setSplit(split).setSource(source).setIngestedAt(now).build();
    producer.send(new ProducerRecord<>(topics.raw(), id, rawSerde.encode(rec)));
    producer.send(new ProducerRecord<>(topics.index(), id, indexSerde.encode(ImageIndexEntry.newBuilder().setId(id)
        .setSplit(split).setLabel(label).setSource(source).setIngestedAt(now).build())));
    perSplit.merge(split.name().toLowerCase(Locale.ROOT), 1L, Long::sum);
    published++;
    bytes += content.length;
    inTransaction += content.length;
    if (inTransaction >= TRANSACTION_BYTES) {
      commit();
    }
    return new Outcome(id, Status.PUBLISHED, null, null, split, label);
  }

  /** Decodes (guarded), shrinks to fit {@code maxSide} (INTER_AREA) and re-encodes as JPEG quality 95. */
  private byte[] downscale(byte[] content, int width, int height) throws ImageRejectedException {
    double f = (double) config.maxSide() / Math.max(width, height);
    int w = Math.max(1, (int) Math.round(width * f));
    int h = Math.max(1, (int) Math.round(height * f));
    try (org.bytedeco.opencv.opencv_core.Mat rgb = guard.decodeRgb(content, Math.max(w, h));
        org.bytedeco.opencv.opencv_core.Mat small = dev.streamfit.imaging.Pixels.resize(rgb,
            rgb.cols() >= rgb.rows() ? Math.max(w, h) : Math.min(w, h), rgb.cols() >= rgb.rows() ? Math.min(w, h) : Math.max(w, h))) {
      return dev.streamfit.imaging.Pixels.encodeJpeg(small, 95);
    }
  }

  /** Sends a refusal that happened before the content could be read (e.g. an unreadable file). */
  public synchronized void reject(String id, String source, RejectReason reason, String message) {
    begin();
    producer.send(new ProducerRecord<>(topics.rejected(), id, rejectionSerde.encode(Rejection.newBuilder()
        .setOriginalKey(id).setStage("ingest").setReason(reason.code()).setMessage(message).setSource(source)
        .setRejectedAt(Instant.now()).build())));
    rejectedByReason.merge(reason.code(), 1L, Long::sum);
  }

  /** Commits the open transaction (if any): everything published so far becomes visible. */
  public synchronized void commit() {
    if (open) {
      producer.commitTransaction();
      open = false;
      inTransaction = 0;
    }
  }

  private void begin() {
    if (!open) {
      producer.beginTransaction();
      open = true;
    }
  }

  public synchronized long published() {
    return published;
  }

  public synchronized long duplicates() {
    return duplicates;
  }

  public synchronized long bytes() {
    return bytes;
  }

  public synchronized Map<String, Long> perSplit() {
    return Map.copyOf(perSplit);
  }

  public synchronized Map<String, Long> rejectedByReason() {
    return Map.copyOf(rejectedByReason);
  }

  /** Closes the producer; an open transaction is aborted (nothing of it becomes visible). */
  @Override
  public synchronized void close() {
    producer.close();
  }
}
