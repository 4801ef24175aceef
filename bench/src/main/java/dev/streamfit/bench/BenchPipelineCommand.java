package dev.streamfit.bench;

import dev.streamfit.bench.fixtures.Images;
import dev.streamfit.bench.report.Results;
import com.sun.management.OperatingSystemMXBean;
import dev.streamfit.engine.Activations;
import dev.streamfit.engine.Classifier;
import dev.streamfit.engine.FeatureExtractor;
import dev.streamfit.engine.Natives;
import dev.streamfit.imaging.DecodeLimits;
import dev.streamfit.imaging.ImageDecoder;
import dev.streamfit.imaging.Pixels;
import dev.streamfit.pipeline.Configs;
import dev.streamfit.pipeline.Dataset;
import dev.streamfit.pipeline.Pipeline;
import dev.streamfit.pipeline.ServingOptions;
import dev.streamfit.pipeline.StageOptions;
import dev.streamfit.schemas.Topics;
import dev.streamfit.trainer.TrainerConfig;
import dev.streamfit.trainer.TrainerStatus;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.bytedeco.opencv.opencv_core.Mat;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code streamfit bench pipeline}: the trainer's samples/s inside the whole pipeline (embedded broker, ingest, augment,
 * features, trainer, serving) over a window of training steps, against the same configuration's training speed with
 * the engine alone measured first in the same run (the peer): {@code pipeline.efficiency}. Also where the training
 * thread's time went and which stages used the CPU over the window.
 */
@Command(name = "pipeline", mixinStandardHelpOptions = true,
    description = "Trainer samples/s inside the whole pipeline vs the engine alone (same run): pipeline.efficiency.")
public final class BenchPipelineCommand implements Callable<Integer> {
  @Mixin
  StageOptions stage;

  @Mixin
  ServingOptions serving;

  @Option(names = "--data", description = "Folder laid out as <split>/<class>/<image> (default: ../shared/data/"
      + "clothing-dataset-small when present, else the bundled sample).")
  Path data;

  @Option(names = "--warmup-steps", defaultValue = "20", description = "Steps before the window opens (default ${DEFAULT-VALUE}).")
  long warmupSteps;

  @Option(names = "--steps", defaultValue = "200", description = "Training steps at which the window closes (default ${DEFAULT-VALUE}).")
  long steps;

  @Option(names = "--engine-steps", defaultValue = "20", description = "Timed steps of the engine alone (default ${DEFAULT-VALUE}).")
  int engineSteps;

  @Option(names = "--timeout-s", defaultValue = "1800", description = "Give up after this long (default ${DEFAULT-VALUE}).")
  long timeoutS;

  @Override
  public Integer call() throws Exception {
    Path shared = Path.of("../shared/data/clothing-dataset-small");
    Dataset dataset = Dataset.of(data != null ? data : Files.isDirectory(shared) ? shared : Dataset.bundledSample());
    Path runDir = stage.common.workDir.resolve("bench-pipeline-"
        + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
    stage.trainer.featuresStageRuns = true;
    TrainerConfig tc = Configs.trainer("validate:0", Topics.defaults(), stage.common, stage.trainer,
        runDir.resolve("checkpoints"), dataset.modelName(), dataset.labels(), stage.augment.epochs == 1);
    int cores = Runtime.getRuntime().availableProcessors();
    System.out.printf(Locale.ROOT, "bench pipeline: %s, %s @%d, %d fine-tuned blocks, batch %d, trainer input %s, %d cores%n",
        dataset.dir(), tc.base().id(), tc.imageSize(), tc.training().trainableBlocks(), tc.batchSize(),
        tc.input().name().toLowerCase(Locale.ROOT), cores);
    Natives.load();
    Engine alone = engineAlone(tc, dataset.dir().resolve("train"));
    // The peer does what the pipeline does for each sample, with the engine alone and nothing else running: on
    // activations, the frozen prefix (as the features stage runs it) then the top; on pixels, the whole network.
    double peer = tc.input() == TrainerConfig.Input.FEATURES ? alone.chained() : alone.whole();

    Window w;
    try (Pipeline p = Pipeline.start(null, Topics.defaults(), stage, serving, runDir, dataset)) {
      Thread ingest = new Thread(() -> p.ingest(dataset.dir()), "bench-ingest");
      ingest.setDaemon(true);
      ingest.start();
      long deadline = System.nanoTime() + timeoutS * 1_000_000_000L;
      await(p, warmupSteps, deadline);
      Mark a = mark(p);
      await(p, steps, deadline);
      Mark b = mark(p);
      w = new Window(a, b);
    }
    return report(tc, alone, peer, w, cores);
  }

  /** Engine-alone rates: whole network on pixels, top on activations, prefix as the features stage runs it, chained. */
  private record Engine(double whole, double top, double prefix, double chained) {}

  /** Training speed of this configuration with nothing else running: whole network on pixels, top on activations. */
  private Engine engineAlone(TrainerConfig tc, Path train) throws Exception {
    List<byte[]> images = new ArrayList<>();
    ImageDecoder decoder = new ImageDecoder(DecodeLimits.defaults());
    for (byte[] f : Images.read(train, "", tc.batchSize() * 4L, "--data")) {
      try (Mat m = decoder.decodeResized(f, tc.imageSize(), tc.imageSize())) {
        images.add(Pixels.toHwc(m));
      }
    }
    int n = tc.batchSize();
    int[] y = new int[n];
    for (int i = 0; i < n; i++) {
      y[i] = i % tc.labels().size();
    }
    List<List<byte[]>> batches = new ArrayList<>();
    for (int i = 0; i + n <= images.size(); i += n) {
      batches.add(images.subList(i, i + n));
    }
    double whole;
    try (Classifier c = Classifier.create(tc.base(), tc.training(), tc.scratch(), tc.labels(), tc.seed(), tc.imageSize())) {
      whole = rate(n, engineSteps, k -> c.fit(batches.get(k % batches.size()), y));
    }
    if (!tc.base().pretrained()) {
      System.out.printf(Locale.ROOT, "engine alone  whole network %.1f img/s (no frozen prefix: %s)%n", whole, tc.base().id());
      return new Engine(whole, Double.NaN, Double.NaN, Double.NaN);
    }
    List<List<Activations>> acts = new ArrayList<>();
    int threads = stage.features.threads();
    double prefix = prefixRate(tc, images, threads);
    try (FeatureExtractor fx = FeatureExtractor.create(tc.prefix())) {
      for (List<byte[]> b : batches) {
        acts.add(fx.extract(b));
      }
    }
    double top;
    try (Classifier c = Classifier.create(tc.base(), tc.training(), tc.scratch(), tc.labels(), tc.seed(), tc.imageSize())) {
      top = rate(n, engineSteps * 5, k -> c.fitActivations(acts.get(k % acts.size()), y));
    }
    double chained = 1 / (1 / prefix + 1 / top);
    System.out.printf(Locale.ROOT, "engine alone  whole network on pixels (the in-trainer path) %.1f img/s | frozen prefix,"
        + " %d threads x batch 1 (as the features stage runs it) %.1f img/s | top on activations %.1f samples/s |"
        + " both, one after the other: %.1f samples/s%n", whole, threads, prefix, top, chained);
    return new Engine(whole, top, prefix, chained);
  }

  /** Images/s of {@code threads} extractors at once, one image and one OpenMP thread each (the features stage's way). */
  private static double prefixRate(TrainerConfig tc, List<byte[]> images, int threads) throws Exception {
    List<FeatureExtractor> fx = new ArrayList<>();
    try {
      for (int i = 0; i < threads; i++) {
        FeatureExtractor f = FeatureExtractor.create(tc.prefix());
        f.setNativeThreads(1);
        fx.add(f);
      }
      AtomicLong done = new AtomicLong();
      CountDownLatch warm = new CountDownLatch(threads);
      AtomicLong startedAt = new AtomicLong();
      long seconds = 6;
      List<Thread> ts = new ArrayList<>();
      for (FeatureExtractor f : fx) {
        Thread t = new Thread(() -> {
          f.extract(images.subList(0, 1));
          warm.countDown();
          try {
            warm.await();
          } catch (InterruptedException e) {
            return;
          }
          startedAt.compareAndSet(0, System.nanoTime());
          long end = startedAt.get() + seconds * 1_000_000_000L;
          for (int k = 0; System.nanoTime() < end; k++) {
            f.extract(List.of(images.get(k % images.size())));
            done.incrementAndGet();
          }
        }, "bench-prefix");
        ts.add(t);
        t.start();
      }
      for (Thread t : ts) {
        t.join();
      }
      return done.get() / ((System.nanoTime() - startedAt.get()) / 1e9);
    } finally {
      fx.forEach(FeatureExtractor::close);
    }
  }

  private interface Step {
    void run(int k);
  }

  private static double rate(int batch, int steps, Step step) {
    for (int k = 0; k < 3; k++) {
      step.run(k); // warm-up
    }
    long t0 = System.nanoTime();
    for (int k = 0; k < steps; k++) {
      step.run(k);
    }
    return (double) steps * batch / ((System.nanoTime() - t0) / 1e9);
  }

  private static void await(Pipeline p, long step, long deadline) throws InterruptedException {
    while (true) {
      TrainerStatus s = p.trainerStatus();
      if (s.failure() != null) {
        throw new IllegalStateException("trainer failed: " + s.failure());
      }
      if (s.steps() >= step) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the trainer reached step " + s.steps() + " of " + step + " within --timeout-s");
      }
      Thread.sleep(50);
    }
  }

  /** An instant of the run: trainer progress, the training thread's phases, CPU by stage. */
  private record Mark(long nanos, long step, long samples, Map<String, Double> phases, double evaluations,
      long evaluationCount, Map<String, Double> cpu, double processCpu) {}

  private record Window(Mark a, Mark b) {
    double seconds() {
      return (b.nanos() - a.nanos()) / 1e9;
    }
  }

  private static Mark mark(Pipeline p) {
    TrainerStatus s = p.trainerStatus();
    MeterRegistry r = p.serving().meterRegistry();
    Map<String, Double> phases = new TreeMap<>();
    for (Timer t : r.find("streamfit.trainer.loop").timers()) {
      phases.put(t.getId().getTag("phase"), t.totalTime(TimeUnit.SECONDS));
    }
    Timer ev = r.find("streamfit.trainer.evaluation").timer();
    var threads = ManagementFactory.getThreadMXBean();
    Map<String, Double> cpu = new TreeMap<>();
    for (var info : threads.getThreadInfo(threads.getAllThreadIds())) {
      if (info == null) {
        continue;
      }
      long ns = threads.getThreadCpuTime(info.getThreadId());
      if (ns > 0) {
        cpu.merge(stageOf(info.getThreadName()), ns / 1e9, Double::sum);
      }
    }
    double process = ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime() / 1e9;
    return new Mark(System.nanoTime(), s.steps(), s.samplesTrained(), phases,
        ev == null ? 0 : ev.totalTime(TimeUnit.SECONDS), ev == null ? 0 : ev.count(), cpu, process);
  }

  /** The stage a thread belongs to, by its name. */
  static String stageOf(String thread) {
    if (thread.startsWith("streamfit-trainer-evaluator")) {
      return "trainer evaluator";
    }
    if (thread.startsWith("streamfit-trainer")) {
      return "trainer";
    }
    if (thread.contains("streamfit-features")) {
      return "features";
    }
    if (thread.contains("streamfit-augment")) {
      return "augment";
    }
    if (thread.startsWith("bench-ingest") || thread.contains("ingest")) {
      return "ingest";
    }
    if (thread.contains("serving") || thread.contains("inference") || thread.contains("model-registry")
        || thread.contains("http")) {
      return "serving";
    }
    return "broker, clients, JVM";
  }

  private Integer report(TrainerConfig tc, Engine alone, double peer, Window w, int cores) {
    double secs = w.seconds();
    double rate = (w.b().samples() - w.a().samples()) / secs;
    double efficiency = rate / peer;
    System.out.printf(Locale.ROOT, "%npipeline window: steps %d → %d, %d samples in %.1f s%n", w.a().step(), w.b().step(),
        w.b().samples() - w.a().samples(), secs);
    System.out.printf(Locale.ROOT, "  %-34s %10s%n", "", "samples/s");
    System.out.printf(Locale.ROOT, "  %-34s %10.1f%n", "trainer inside the pipeline", rate);
    System.out.printf(Locale.ROOT, "  %-34s %10.1f%n", "engine alone, the same work", peer);
    System.out.printf(Locale.ROOT, "  %-34s %10.1f%n", "engine alone, in-trainer path (pixels)", alone.whole());
    System.out.printf(Locale.ROOT, "  %-34s %10.1f%n", "engine alone, top on activations only", alone.top());
    System.out.printf(Locale.ROOT, "%ntraining thread over the window (s, share of %.1f s)%n", secs);
    double accounted = 0;
    for (var e : w.b().phases().entrySet()) {
      double d = e.getValue() - w.a().phases().getOrDefault(e.getKey(), 0.0);
      accounted += d;
      System.out.printf(Locale.ROOT, "  %-34s %8.1f %6.1f %%%n", e.getKey(), d, 100 * d / secs);
    }
    System.out.printf(Locale.ROOT, "  %-34s %8.1f %6.1f %%%n", "other (status, bookkeeping)", secs - accounted,
        100 * (secs - accounted) / secs);
    System.out.printf(Locale.ROOT, "  evaluations beside training: %d, %.1f s on the evaluator thread%n",
        w.b().evaluationCount() - w.a().evaluationCount(), w.b().evaluations() - w.a().evaluations());
    System.out.printf(Locale.ROOT, "%nCPU over the window (core-seconds; %d cores × %.1f s = %.1f available)%n", cores, secs,
        cores * secs);
    for (var e : w.b().cpu().entrySet()) {
      double d = e.getValue() - w.a().cpu().getOrDefault(e.getKey(), 0.0);
      System.out.printf(Locale.ROOT, "  %-34s %8.1f %6.1f %%%n", e.getKey(), d, 100 * d / (cores * secs));
    }
    double proc = w.b().processCpu() - w.a().processCpu();
    System.out.printf(Locale.ROOT, "  %-34s %8.1f %6.1f %%  (native OpenMP threads are counted here only)%n",
        "whole process", proc, 100 * proc / (cores * secs));
    System.out.println();
    Results.print("pipeline.efficiency", "%.3f", efficiency);
    Results.print("pipeline.trainer_samples_per_s", "%.1f", rate);
    Results.print("engine.train_samples_per_s", "%.1f", peer);
    Results.print("ratio.pipeline_vs_whole_network", "%.2f", rate / alone.whole());
    return 0;
  }
}
