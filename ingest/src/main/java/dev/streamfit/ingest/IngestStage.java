package dev.streamfit.ingest;

import dev.streamfit.common.Hashes;
import dev.streamfit.imaging.ImagingNatives;
import dev.streamfit.ingest.internal.IngestHttp;
import dev.streamfit.ingest.internal.KnownImages;
import dev.streamfit.ingest.internal.Publisher;
import dev.streamfit.schemas.RejectReason;
import dev.streamfit.schemas.Split;
import dev.streamfit.schemas.Topics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.function.BooleanSupplier;
import java.util.function.LongConsumer;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ingest stage: publishes every image file of a {@code <split>/<class>/} folder to {@code images.raw},
 * keyed by the SHA-256 of its bytes, through a transactional producer (acks=all) that also records each id on
 * the compacted {@code images.index}: re-ingesting content already published publishes nothing. Files are
 * checked at the edge with the augment stage's container guards (no pixel is decoded here) and against the
 * label set; what it cannot publish goes to {@code images.rejected} with a reason. One ingester per source
 * at a time: two running at once on the same files may both publish them (same keys). Also watches the
 * folder ({@link #watch}) and takes images over HTTP ({@link #serveHttp}).
 */
public final class IngestStage {
  private static final Logger LOG = LoggerFactory.getLogger(IngestStage.class);
  private final IngestConfig config;

  public IngestStage(IngestConfig config) {
    this.config = config;
  }

  /**
   * The image files under the data folder, in a seeded random order (a folder is usually sorted by
   * class; publishing it in that order would hand the trainer one class at a time).
   */
  public List<Path> files() {
    if (config.dataDir() == null) {
      throw new IllegalStateException("ingest.data is not set: no folder to ingest (set --data)");
    }
    try (Stream<Path> walk = Files.walk(config.dataDir())) {
      List<Path> files = walk.filter(Files::isRegularFile)
          .filter(p -> !p.getFileName().toString().startsWith("."))
          .filter(p -> config.dataDir().relativize(p).getNameCount() == 3)
          .sorted().collect(Collectors.toCollection(ArrayList::new));
      Collections.shuffle(files, new Random(42));
      return files;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + config.dataDir(), e);
    }
  }

  /**
   * Publishes every file of the folder whose content was not published (or refused) before, and waits until
   * all of it is committed. Per file: SHA-256 of the bytes → skipped if {@code images.index} knows it; the byte
   * cap; the augment stage's container guards ({@link dev.streamfit.imaging.ImageDecoder#probe}: allow-list,
   * dimension caps, complete JPEG/PNG/WebP, single frame); the label set. Images go to {@code images.raw} and their id
   * to {@code images.index} in one transaction, so a crash never leaves an image published but unindexed (or
   * the reverse); refusals go to {@code images.rejected} with a reason.
   *
   * @param progress called with the number of files handled so far (may be null)
   */
  public IngestSummary run(LongConsumer progress) {
    return run(items(), progress);
  }

  /**
   * As {@link #run(LongConsumer)} for the given files (a labels CSV, globs, a list on stdin: {@link IngestSources}).
   *
   * @param progress called with the number of files handled so far (may be null)
   */
  public IngestSummary run(List<IngestItem> items, LongConsumer progress) {
    long t0 = System.nanoTime();
    ImagingNatives.load(); // the edge checks' downscale; before the reader threads start
    // Files are read and hashed ahead on other threads (one per core) from the start, while the publisher opens
    // (topics, index, transactional producer); once it is open they are also checked and encoded there, and this
    // thread only hands them to the producer, in order.
    ExecutorService readers = Executors.newFixedThreadPool(Math.max(1, Runtime.getRuntime().availableProcessors()),
        daemon("streamfit-ingest-read"));
    ExecutorService opener = Executors.newSingleThreadExecutor(daemon("streamfit-ingest-open"));
    Future<Publisher> opening = opener.submit(() -> new Publisher(config));
    Publisher publisher = null;
    try {
      Deque<Future<Loaded>> ahead = new ArrayDeque<>();
      Deque<Long> aheadSizes = new ArrayDeque<>();
      long aheadBytes = 0;
      int next = 0;
      long done = 0;
      long started = 0;
      while (next < items.size() || !ahead.isEmpty()) {
        while (next < items.size() && (ahead.isEmpty() || aheadBytes < READ_AHEAD_BYTES && ahead.size() < READ_AHEAD_FILES)) {
          IngestItem item = items.get(next++);
          long size = sizeOf(item.file());
          ahead.add(readers.submit(() -> Loaded.of(item, opening)));
          aheadSizes.add(size);
          aheadBytes += size;
        }
        if (publisher == null) {
          publisher = opening.get();
          started = System.nanoTime();
        }
        Loaded head = ahead.removeFirst().get();
        aheadBytes -= aheadSizes.removeFirst();
        publish(publisher, head);
        if (progress != null) {
          progress.accept(++done);
        }
      }
      if (publisher == null) {
        publisher = opening.get();
        started = System.nanoTime();
      }
      publisher.commit();
      return summary(publisher, t0, started);
    } catch (KafkaException e) {
      throw failed(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("ingest interrupted", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof KafkaException k) {
        throw failed(k);
      }
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException("ingest failed: " + e.getCause(), e.getCause());
    } finally {
      readers.shutdownNow();
      opener.shutdown();
      if (publisher != null) {
        publisher.close();
      } else {
        closeQuietly(opening); // the run failed while it was opening: let it finish (bounded by its timeouts), close it
      }
    }
  }

  /** Bytes of files read ahead of the one being published (at least one file is, whatever its size). */
  private static final long READ_AHEAD_BYTES = 64L * 1024 * 1024;

  /** Files read ahead of the one being published, at most. */
  private static final int READ_AHEAD_FILES = 4096;

  private static long sizeOf(Path file) {
    try {
      return Files.size(file);
    } catch (IOException e) {
      return 0; // reading it will fail too and say why
    }
  }

  private static ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }

  /** Closes a publisher that finished opening after all (the run failed before taking it). */
  private static void closeQuietly(Future<Publisher> opening) {
    try {
      opening.get().close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | RuntimeException e) {
      // it failed to open: nothing to close
    }
  }

  /** A file read, hashed and prepared for publishing, or why it could not be read. */
  private record Loaded(IngestItem item, Publisher.Prepared prepared, IOException error) {
    /** Reads and hashes the file; then waits for the publisher to open and prepares it. */
    static Loaded of(IngestItem item, Future<Publisher> publisher) throws InterruptedException, ExecutionException {
      byte[] b;
      try {
        b = Files.readAllBytes(item.file());
      } catch (IOException e) {
        return new Loaded(item, null, e);
      }
      String id = Hashes.sha256Hex(b);
      return new Loaded(item, publisher.get().prepare(b, id, item.source(), item.split(), item.label()), null);
    }
  }

  private void publish(Publisher publisher, Loaded f) {
    if (f.error() != null) {
      publisher.reject(null, f.item().source(), RejectReason.INTERNAL_ERROR, "cannot read file: " + f.error().getMessage());
      return;
    }
    publisher.publish(f.prepared());
  }

  /** Ids of every image published to {@code images.raw} so far (committed), read from {@code images.index}. */
  public static Set<String> publishedIds(String bootstrap, Topics topics) {
    return KnownImages.read(bootstrap, topics.index(), true);
  }

  /** The files of the {@code <split>/<class>/} folder as items, in {@link #files()} order. */
  public List<IngestItem> items() {
    List<IngestItem> out = new ArrayList<>();
    for (Path file : files()) {
      out.add(item(file));
    }
    return out;
  }

  private IngestItem item(Path file) {
    Path rel = config.dataDir().relativize(file);
    Split split = split(rel.getName(0).toString());
    return new IngestItem(file, rel.toString(), split, split == Split.UNLABELED ? null : rel.getName(1).toString());
  }

  /**
   * Publishes the folder, then keeps watching it: a file that appears (in the {@code <split>/<class>/} layout)
   * is published once its size and modification time are unchanged over one {@code interval} (so files still
   * being written are not read half-way), and committed at the end of that scan. Returns when {@code stop} says
   * so, with what this call did.
   */
  public IngestSummary watch(Duration interval, BooleanSupplier stop) throws InterruptedException {
    long t0 = System.nanoTime();
    ImagingNatives.load();
    Set<Path> done = new HashSet<>();
    Map<Path, List<Long>> pending = new HashMap<>();
    try (Publisher publisher = new Publisher(config)) {
      long started = System.nanoTime();
      while (!stop.getAsBoolean()) {
        for (Path file : files()) {
          if (done.contains(file)) {
            continue;
          }
          List<Long> stat;
          try {
            stat = List.of(Files.size(file), Files.getLastModifiedTime(file).toMillis());
          } catch (IOException e) {
            continue; // gone again
          }
          if (stat.equals(pending.put(file, stat))) {
            publishFile(publisher, file);
            done.add(file);
            pending.remove(file);
          }
        }
        publisher.commit();
        Thread.sleep(interval.toMillis());
      }
      return summary(publisher, t0, started);
    } catch (KafkaException e) {
      throw failed(e);
    }
  }

  /**
   * Starts {@code POST /v1/images?label=…&split=…} (raw image body, or multipart/form-data with one file) on
   * {@code host}:{@code port} (0 = any free port): 201 published, 200 already published, 413/415/422 refused
   * with a reason, 400 bad parameters. Each accepted image is committed before the answer. Close the returned
   * server to stop.
   */
  public IngestServer serveHttp(String host, int port) throws IOException {
    ImagingNatives.load();
    return IngestHttp.start(config, new Publisher(config), host, port);
  }

  private void publishFile(Publisher publisher, Path file) throws InterruptedException {
    try {
      publish(publisher, Loaded.of(item(file), CompletableFuture.completedFuture(publisher)));
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    }
  }

  private IngestSummary summary(Publisher p, long t0, long started) {
    double secs = (System.nanoTime() - t0) / 1e9;
    Map<String, Long> rejected = p.rejectedByReason();
    IngestSummary s = new IngestSummary(p.published(), rejected.values().stream().mapToLong(Long::longValue).sum(),
        p.bytes(), p.perSplit(), secs, p.duplicates(), rejected, (started - t0) / 1e9);
    LOG.info("ingested {} images ({} MB) in {} s; {} already published; rejected {}", s.published(),
        s.bytes() / 1_000_000, String.format(Locale.ROOT, "%.1f", secs), s.duplicates(), rejected);
    return s;
  }

  private IllegalStateException failed(KafkaException e) {
    return new IllegalStateException("publishing to " + config.topics().raw() + " failed (nothing of the open"
        + " transaction is visible; re-run to publish the rest): " + e, e);
  }

  /** Folder name → split: train, validation/val, test; anything else is unlabeled. */
  static Split split(String folder) {
    return switch (folder.toLowerCase(Locale.ROOT)) {
      case "train" -> Split.TRAIN;
      case "validation", "val" -> Split.VALIDATION;
      case "test" -> Split.TEST;
      default -> Split.UNLABELED;
    };
  }
}
