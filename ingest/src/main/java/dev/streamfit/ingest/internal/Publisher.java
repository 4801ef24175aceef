package dev.streamfit.ingest.internal;

import dev.streamfit.common.Hashes;
import dev.streamfit.common.Rejections;
import dev.streamfit.common.kafka.ClientProfile;
import dev.streamfit.common.kafka.KafkaClients;
import dev.streamfit.imaging.ImageDecoder;
import dev.streamfit.imaging.ImageRejectedException;
import dev.streamfit.imaging.Pixels;
import dev.streamfit.ingest.IngestConfig;
import dev.streamfit.schemas.AvroSerde;
import dev.streamfit.schemas.ImageIndexEntry;
import dev.streamfit.schemas.Labels;
import dev.streamfit.schemas.RawImage;
import dev.streamfit.schemas.RejectReason;
import dev.streamfit.schemas.Rejection;
import dev.streamfit.schemas.Split;
import dev.streamfit.schemas.Topics;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * Publishes images inside Kafka transactions: de-duplication against {@code images.index}, the byte cap, the
 * decode guards (container only), the label set; an image goes to {@code images.raw} and its id to
 * {@code images.index} in the same transaction, a refusal to {@code images.rejected}. The checks and the Avro
 * encoding ({@link #prepare}) are pure and run on any thread, so callers can prepare many images in parallel and
 * {@link #publish(Prepared)} them in order; publishing is serialised. The open transaction is committed when it is
 * older than the configured commit interval, or on {@link #commit}: everything published so far becomes visible.
 */
public final class Publisher implements AutoCloseable {
  /** What became of one image. {@code reason} and {@code message} are set when it was refused. */
  public record Outcome(String id, Status status, RejectReason reason, String message, Split split, String label) {}

  /** Published, skipped as already handled, or refused. */
  public enum Status { PUBLISHED, DUPLICATE, REJECTED }

  /**
   * An image checked and encoded, ready to publish; or refused (with {@code reason}); or not prepared because its
   * id was already on the index when it was looked at (publishing it answers as the index says).
   */
  public static final class Prepared {
    private final String id;
    private final Split split;
    private final String label;
    private final String source;
    private final byte[] raw;
    private final byte[] index;
    private final int bytes;
    private final RejectReason reason;
    private final String message;
    private final boolean contentRefused;

    private Prepared(String id, Split split, String label, String source, byte[] raw, byte[] index, int bytes,
        RejectReason reason, String message, boolean contentRefused) {
      this.id = id;
      this.split = split;
      this.label = label;
      this.source = source;
      this.raw = raw;
      this.index = index;
      this.bytes = bytes;
      this.reason = reason;
      this.message = message;
      this.contentRefused = contentRefused;
    }
  }

  /** One image as received. */
  private record Input(byte[] content, String id, String source, Split split, String label) {}

  /**
   * What the index says of an id: published to {@code images.raw} with {@code split} and {@code label}, or refused
   * for its content with {@code refused} and {@code message} (then {@code split} is UNLABELED, {@code label} null).
   */
  record Known(Split split, String label, RejectReason refused, String message) {
    static Known of(ImageIndexEntry e) {
      if (e.getRejectedReason() == null) {
        return new Known(e.getSplit(), e.getLabel(), null, null);
      }
      RejectReason reason = RejectReason.fromCode(e.getRejectedReason());
      String message = e.getRejectedMessage() != null ? e.getRejectedMessage() : "refused when first ingested";
      return new Known(Split.UNLABELED, null, reason, message);
    }
  }

  private final IngestConfig config;
  private final Topics topics;
  private final Map<String, Known> known;
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
  private long openedAtNanos;
  private boolean open;

  /**
   * Creates the topics that are missing, reads the index and opens the transactional producer. The first two
   * and the third are independent round trips and overlap. Retries back off from 10 ms, not Kafka's 100 ms:
   * a fresh transactional id's {@code InitProducerId} and a new consumer's first {@code ListOffsets} are
   * typically retried once, and at 100 ms that wait dominated ingest's start-up ({@code bench ingest});
   * the back-off still grows exponentially to {@code retry.backoff.max.ms} (1 s) when a broker is down.
   */
  public Publisher(IngestConfig config) {
    this.config = config;
    this.topics = config.topics();
    FutureTask<Map<String, Known>> index = new FutureTask<>(() -> KnownImages.ensureTopicsAndRead(config.bootstrapServers(), topics));
    Thread indexReader = new Thread(index, "streamfit-ingest-index");
    indexReader.setDaemon(true);
    indexReader.start();
    this.guard = new ImageDecoder(config.limits());
    this.producer = KafkaClients.producer(config.bootstrapServers(),
        ClientProfile.transactional(topics.prefix() + "streamfit-ingest-" + UUID.randomUUID()),
        ClientProfile.writing(topics.spec(topics.raw()), topics.spec(topics.index()), topics.spec(topics.rejected())),
        ClientProfile.batching(5, 1024 * 1024), KnownImages.QUICK_RETRY);
    try {
      producer.initTransactions();
      this.known = new ConcurrentHashMap<>(index.get());
    } catch (RuntimeException e) {
      index.cancel(true);
      producer.close();
      throw e;
    } catch (ExecutionException e) {
      producer.close();
      throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      index.cancel(true);
      producer.close();
      throw new IllegalStateException("interrupted while reading " + topics.index(), e);
    }
  }

  /** First retry back-off of ingest's Kafka clients (ms); see the constructor. */
  static final int RETRY_BACKOFF_MS = 10;

  /**
   * Checks and encodes an image for {@link #publish(Prepared)}: the byte cap, the container guards (and a
   * downscale past {@code maxSide}), the label set, Avro. Touches no Kafka state; safe from any thread. Content
   * whose id the index already holds is not looked at. {@code label} is null for unlabeled images; {@code source}
   * says where it came from; {@code id} is the SHA-256 hex of {@code content}. The media type recorded is the one
   * the container guard finds in the bytes, whatever a client declared.
   */
  public Prepared prepare(byte[] content, String id, String source, Split split, String label) {
    String labelProblem = label == null ? null : Labels.problem(label);
    if (labelProblem != null) { // refused whatever the content, and not indexed: another label may take it
      return new Prepared(id, split, null, source, null, null, 0, RejectReason.INVALID_LABEL, labelProblem, false);
    }
    Input in = new Input(content, id, source, split, label);
    return known.containsKey(id) ? new Prepared(id, split, label, source, null, null, 0, null, null, false) : check(in);
  }

  private Prepared check(Input in) {
    byte[] content = in.content();
    String source = in.source();
    String mediaType = null;
    Split split = in.split();
    String label = in.label();
    RejectReason reason = null;
    String message = null;
    if (content.length > config.maxImageBytes()) {
      reason = RejectReason.TOO_LARGE;
      message = content.length + " bytes, above ingest.max-image-bytes=" + config.maxImageBytes();
    } else {
      try {
        var header = guard.probe(content);
        mediaType = header.mediaType();
        if (config.maxSide() > 0 && Math.max(header.width(), header.height()) > config.maxSide()) {
          String from = header.width() + "x" + header.height();
          content = downscale(content, header.width(), header.height());
          mediaType = "image/jpeg";
          source = source + " (downscaled at ingest from " + from + ")";
        }
      } catch (ImageRejectedException e) {
        reason = e.reason();
        message = e.getMessage();
      } catch (RuntimeException e) { // a bug or a native failure on this one image: refuse it, keep the run going
        reason = RejectReason.INTERNAL_ERROR;
        message = "edge check failed: " + e;
      }
    }
    // Refused for what it is: indexed, never looked at again. Not an internal error: a later run retries it.
    boolean contentRefused = reason != null && reason != RejectReason.INTERNAL_ERROR;
    if (reason == null && label != null && !config.labels().isEmpty() && !config.labels().contains(label)) {
      if (config.unknownLabelAsUnlabeled()) {
        label = null;
        split = Split.UNLABELED;
      } else {
        reason = RejectReason.UNKNOWN_LABEL;
        message = "label '" + label + "' is not one of " + config.labels()
            + " (set --labels, or --unknown-label-as-unlabeled to publish it unlabeled)";
      }
    }
    Instant now = Instant.now();
    if (reason != null) {
      byte[] index = contentRefused ? indexSerde.encode(ImageIndexEntry.newBuilder().setId(in.id())
          .setSplit(Split.UNLABELED).setLabel(null).setSource(source).setIngestedAt(now)
          .setRejectedReason(reason.code()).setRejectedMessage(message).build()) : null;
      return new Prepared(in.id(), split, label, source, null, index, 0, reason, message, contentRefused);
    }
    byte[] raw = rawSerde.encode(RawImage.newBuilder().setId(in.id()).setContent(ByteBuffer.wrap(content))
        .setMediaType(mediaType).setLabel(label).setSplit(split).setSource(source).setIngestedAt(now).build());
    byte[] index = indexSerde.encode(ImageIndexEntry.newBuilder().setId(in.id()).setSplit(split).setLabel(label)
        .setSource(source).setIngestedAt(now).build());
    return new Prepared(in.id(), split, label, source, raw, index, content.length, null, null, false);
  }

  /** {@link #prepare} and {@link #publish(Prepared)} in one, computing the id. */
  public Outcome publish(byte[] content, String source, Split split, String label) {
    return publish(prepare(content, Hashes.sha256Hex(content), source, split, label));
  }

  /**
   * Publishes a prepared image unless its id was handled before (in an earlier run, or earlier in this one):
   * to {@code images.raw} and {@code images.index}, or its refusal to {@code images.rejected} (content refusals
   * are also indexed, so they are not looked at again; an unknown label is not, as another label set may take
   * it). What it answers is what the topics hold: content published before is a {@code DUPLICATE} with the split
   * and label it has on {@code images.raw}; content refused before is refused again with the same reason and
   * message (and that refusal is on {@code images.rejected} again). Commits when the open transaction is older than
   * the commit interval.
   */
  public synchronized Outcome publish(Prepared p) {
    begin();
    if (p.reason == RejectReason.INVALID_LABEL) {
      reject(p.id, p.source, p.reason, p.message);
      return new Outcome(p.id, Status.REJECTED, p.reason, p.message, p.split, null);
    }
    Known before = known.get(p.id);
    if (before != null && before.refused() == null) {
      duplicates++;
      return new Outcome(p.id, Status.DUPLICATE, null, null, before.split(), before.label());
    }
    if (before != null) {
      reject(p.id, p.source, before.refused(), before.message());
      return new Outcome(p.id, Status.REJECTED, before.refused(), before.message(), before.split(), null);
    }
    if (p.reason != null) {
      if (p.contentRefused) { // a later run may publish what was refused for its label or a failure, never this
        known.put(p.id, new Known(Split.UNLABELED, null, p.reason, p.message));
      }
      reject(p.id, p.source, p.reason, p.message);
      if (p.index != null) {
        producer.send(new ProducerRecord<>(topics.index(), p.id, p.index));
      }
      return new Outcome(p.id, Status.REJECTED, p.reason, p.message, p.split, p.label);
    }
    known.put(p.id, new Known(p.split, p.label, null, null));
    producer.send(new ProducerRecord<>(topics.raw(), p.id, p.raw));
    producer.send(new ProducerRecord<>(topics.index(), p.id, p.index));
    perSplit.merge(p.split.name().toLowerCase(Locale.ROOT), 1L, Long::sum);
    published++;
    bytes += p.bytes;
    if (System.nanoTime() - openedAtNanos >= config.commitInterval().toNanos()) {
      commit();
    }
    return new Outcome(p.id, Status.PUBLISHED, null, null, p.split, p.label);
  }

  /** Decodes (guarded), shrinks to fit {@code maxSide} (INTER_AREA) and re-encodes as JPEG quality 95. */
  private byte[] downscale(byte[] content, int width, int height) throws ImageRejectedException {
    double f = (double) config.maxSide() / Math.max(width, height);
    int w = Math.max(1, (int) Math.round(width * f));
    int h = Math.max(1, (int) Math.round(height * f));
    try (Mat rgb = guard.decodeRgb(content, Math.max(w, h));
        Mat small = Pixels.resize(rgb,
            rgb.cols() >= rgb.rows() ? Math.max(w, h) : Math.min(w, h), rgb.cols() >= rgb.rows() ? Math.min(w, h) : Math.max(w, h))) {
      return Pixels.encodeJpeg(small, 95);
    }
  }

  /** Sends a refusal that happened before the content could be read (e.g. an unreadable file). */
  public synchronized void reject(String id, String source, RejectReason reason, String message) {
    begin();
    producer.send(new ProducerRecord<>(topics.rejected(), id,
        rejectionSerde.encode(Rejections.of(Rejections.Stage.INGEST, id, reason, message, source))));
    rejectedByReason.merge(reason.code(), 1L, Long::sum);
  }

  /** Commits the open transaction (if any): everything published so far becomes visible. */
  public synchronized void commit() {
    if (open) {
      producer.commitTransaction();
      open = false;
    }
  }

  private void begin() {
    if (!open) {
      producer.beginTransaction();
      open = true;
      openedAtNanos = System.nanoTime();
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
