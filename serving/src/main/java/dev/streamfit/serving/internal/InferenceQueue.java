package dev.streamfit.serving.internal;

import dev.streamfit.engine.ClassProbability;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingDeque;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The micro-batcher: a fixed set of worker threads runs every forward pass of the process, worker
 * {@code i} on its own copy of the model. A free worker takes whatever is queued (up to {@code maxBatch}
 * requests of one model version) into one pass, so throughput grows with load while a lone request waits
 * for nothing. Verification and warm-up passes of candidate models run on the workers too
 * ({@link #runExclusive}), between batches, so they never add threads competing with serving for cores.
 * Thread-safe.
 */
public final class InferenceQueue implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(InferenceQueue.class);

  /** One answered image: top-k, the version that answered, the pass it was part of. */
  public record Prediction(long version, List<ClassProbability> top, double forwardMs, int batchSize, double queueMs) {}

  private record Job(ModelHandle model, byte[] pixels, int k, CompletableFuture<Prediction> result, long enqueuedNanos) {}

  private final BlockingDeque<Object> queue = new LinkedBlockingDeque<>();
  private final int maxBatch;
  private final long lingerNanos;
  private final ServingMetrics metrics;
  private final List<Thread> workers = new ArrayList<>();
  private volatile boolean running = true;

  public InferenceQueue(int maxBatch, Duration linger, int workers, ServingMetrics metrics) {
    this.maxBatch = maxBatch;
    this.lingerNanos = linger.toNanos();
    this.metrics = metrics;
    for (int i = 0; i < workers; i++) {
      int index = i;
      Thread t = new Thread(() -> run(index), "streamfit-inference-" + i);
      t.setDaemon(true);
      this.workers.add(t);
    }
    this.workers.forEach(Thread::start);
  }

  /** Number of worker threads (= model copies per version). */
  public int workers() {
    return workers.size();
  }

  /**
   * OpenMP threads each worker's forward pass should use: 0 (choose by batch size) with one worker, else
   * an equal share of the cores, at least one.
   */
  public int threadsPerWorker() {
    return workers.size() == 1 ? 0 : Math.max(1, Runtime.getRuntime().availableProcessors() / workers.size());
  }

  /**
   * Queues {@code pixels} (HWC RGB at the model's input size) for {@code model}, which the caller has
   * retained and keeps retained until the future completes.
   */
  public CompletableFuture<Prediction> submit(ModelHandle model, byte[] pixels, int k) {
    CompletableFuture<Prediction> f = new CompletableFuture<>();
    if (!running) {
      f.completeExceptionally(new IllegalStateException("inference queue closed"));
      return f;
    }
    queue.add(new Job(model, pixels, k, f, System.nanoTime()));
    return f;
  }

  /** Runs {@code task} on the inference thread between batches and returns its result. */
  public <T> T runExclusive(Callable<T> task) throws Exception {
    FutureTask<T> t = new FutureTask<>(task);
    queue.add(t);
    try {
      return t.get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof Exception x) {
        throw x;
      }
      throw e;
    }
  }

  private void run(int worker) {
    List<Job> batch = new ArrayList<>(maxBatch);
    while (running) {
      Object first;
      try {
        first = queue.take();
      } catch (InterruptedException e) {
        break;
      }
      if (first instanceof FutureTask<?> t) {
        t.run();
        continue;
      }
      batch.clear();
      Job j0 = (Job) first;
      batch.add(j0);
      try {
        fill(batch, j0.model());
      } catch (InterruptedException e) {
        forward(batch, worker);
        break;
      }
      forward(batch, worker);
    }
    // Fail whatever is left so no caller waits forever.
    for (Object o; (o = queue.poll()) != null; ) {
      if (o instanceof Job j) {
        j.result().completeExceptionally(new IllegalStateException("inference queue closed"));
      } else if (o instanceof FutureTask<?> t) {
        t.cancel(false);
      }
    }
  }

  /** Adds queued jobs of the same model to {@code batch}, waiting up to the linger for more. */
  private void fill(List<Job> batch, ModelHandle model) throws InterruptedException {
    long deadline = System.nanoTime() + lingerNanos;
    while (batch.size() < maxBatch) {
      Object next = queue.poll();
      if (next == null && lingerNanos > 0) {
        long left = deadline - System.nanoTime();
        next = left > 0 ? queue.poll(left, TimeUnit.NANOSECONDS) : null;
      }
      if (next == null) {
        return;
      }
      if (next instanceof Job j && j.model() == model) {
        batch.add(j);
      } else {
        queue.addFirst(next); // another version's request or a task: next pass
        return;
      }
    }
  }

  private void forward(List<Job> batch, int worker) {
    long t0 = System.nanoTime();
    ModelHandle model = batch.get(0).model();
    try {
      List<byte[]> pixels = new ArrayList<>(batch.size());
      int k = 1;
      for (Job j : batch) {
        pixels.add(j.pixels());
        k = Math.max(k, j.k());
      }
      List<List<ClassProbability>> tops = model.predictor(worker).topK(pixels, k);
      long t1 = System.nanoTime();

      double forwardMs = (t1 - t0) / 1e6;
      metrics.forward(batch.size(), t1 - t0);
      for (int i = 0; i < batch.size(); i++) {
        Job j = batch.get(i);
        List<ClassProbability> top = tops.get(i);
        ClassProbability bad = top.stream().filter(x -> !Double.isFinite(x.probability())).findFirst().orElse(null);
        if (bad != null) {
          j.result().completeExceptionally(invalid(model, bad));
          continue;
        }
        j.result().complete(new Prediction(model.version(), top.subList(0, Math.min(j.k(), top.size())), forwardMs,
            batch.size(), (t0 - j.enqueuedNanos()) / 1e6));
      }
    } catch (RuntimeException | Error e) {
      LOG.error("forward pass of {} images on v{} failed", batch.size(), model.version(), e);
      for (Job j : batch) {
        j.result().completeExceptionally(e);
      }
    }
  }

  /** A version answered NaN or infinity for an image: the model's fault, not the request's; that image fails. */
  private InvalidOutputException invalid(ModelHandle model, ClassProbability s) {
    InvalidOutputException e = new InvalidOutputException("model v" + model.version() + " answered probability "
        + s.probability() + " for label " + s.label());
    if (warnedInvalid.add(model.version())) {
      LOG.warn("{} (reported once per version; such requests fail, or a canary's are answered by the stable version)",
          e.getMessage());
    }
    return e;
  }

  /** A forward pass gave non-finite probabilities. */
  public static final class InvalidOutputException extends RuntimeException {
    InvalidOutputException(String message) {
      super(message);
    }
  }

  private final Set<Long> warnedInvalid = ConcurrentHashMap.newKeySet();

  @Override
  public void close() {
    running = false;
    workers.forEach(Thread::interrupt);
    try {
      for (Thread t : workers) {
        t.join(10_000);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
