package dev.streamfit.bench;

import dev.streamfit.bench.report.Results;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.streamfit.pipeline.Dataset;
import dev.streamfit.pipeline.Pipeline;
import dev.streamfit.pipeline.ServingOptions;
import dev.streamfit.pipeline.StageOptions;
import dev.streamfit.schemas.Topics;
import dev.streamfit.trainer.EvalPoint;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code streamfit bench train-peer}: the README's full-run recipe through the whole pipeline, then the same recipe in
 * PyTorch ({@code bench/train_peer.py}: the same Keras weights in the same architecture, same augmentation, batch,
 * optimiser, schedule and epochs) on the same machine, one after the other. Reports the wall time from start to
 * validation accuracy 0.85 / 0.88 / 0.90 and the test accuracy of each; {@code train.time_to_0.88_ratio} is ours over
 * PyTorch's.
 */
@Command(name = "train-peer", mixinStandardHelpOptions = true,
    description = "Wall time to validation 0.88 and test accuracy: the pipeline vs the same recipe in PyTorch.")
public final class BenchTrainPeerCommand implements Callable<Integer> {
  static final double[] THRESHOLDS = {0.85, 0.88, 0.90};

  @Mixin
  StageOptions stage;

  @Mixin
  ServingOptions serving;

  @Option(names = "--data", defaultValue = "../shared/data/clothing-dataset-small",
      description = "Folder laid out as <split>/<class>/<image> (default ${DEFAULT-VALUE}).")
  Path data;

  @Option(names = "--python", defaultValue = "/usr/bin/python3", description = "Python with torch, torchvision, h5py (default ${DEFAULT-VALUE}).")
  String python;

  @Option(names = "--only", defaultValue = "both", description = "both, ours or peer (default ${DEFAULT-VALUE}).")
  String only;

  @Option(names = "--timeout-s", defaultValue = "3600", description = "Give up on either after this long (default ${DEFAULT-VALUE}).")
  long timeoutS;

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  private record Run(double wallS, Map<Double, Double> timeTo, double bestVal, double test) {}

  @Override
  public Integer call() throws Exception {
    recipeDefaults();
    if (!stage.trainer.base.equals("mobilenet-v1-0.75")) {
      throw new IllegalArgumentException("bench train-peer: the PyTorch peer builds mobilenet-v1-0.75 only; was --base "
          + stage.trainer.base);
    }
    Dataset dataset = Dataset.of(data);
    System.out.printf(Locale.ROOT, "bench train-peer: %s, %s @%d, %d epochs, batch %d, fine-tune %d blocks, lr %s/%s,"
        + " %s schedule over %d steps, %d cores%n", dataset.dir(), stage.trainer.base, stage.common.imageSize,
        stage.augment.epochs, stage.trainer.batchSize, stage.trainer.fineTuneBlocks, stage.trainer.learningRate,
        stage.trainer.fineTuneLearningRate, stage.trainer.lrSchedule, stage.trainer.lrScheduleSteps,
        Runtime.getRuntime().availableProcessors());
    Run ours = only.equals("peer") ? null : ours(dataset);
    Run peer = only.equals("ours") ? null : peer(dataset);
    System.out.printf(Locale.ROOT, "%n%-10s %10s %10s %10s %10s %10s %8s%n", "", "to 0.85 s", "to 0.88 s", "to 0.90 s",
        "wall s", "best val", "test");
    row("streamfit", ours == null ? empty() : ours);
    row("pytorch", peer == null ? empty() : peer);
    if (ours != null && peer != null) {
      Double a = ours.timeTo().get(0.88);
      Double b = peer.timeTo().get(0.88);
      System.out.println();
      Results.print("train.time_to_0.88_ratio", a == null || b == null ? "n/a" : String.format(Locale.ROOT, "%.2f", a / b));
      Results.print("train.test_accuracy_delta", "%.4f", ours.test() - peer.test());
    }
    if (ours != null) {
      Results.print("train.time_to_0.88_s", fmt(ours.timeTo().get(0.88)));
      Results.print("test.accuracy", "%.4f", ours.test());
      Results.print("train.wall_s", "%.1f", ours.wallS());
    }
    if (peer != null) {
      Results.print("peer.time_to_0.88_s", fmt(peer.timeTo().get(0.88)));
      Results.print("peer.test.accuracy", "%.4f", peer.test());
      Results.print("peer.wall_s", "%.1f", peer.wallS());
    }
    return 0;
  }

  /** The README's full-run recipe, unless flags say otherwise. */
  private void recipeDefaults() {
    var pr = spec.commandLine().getParseResult();
    if (!pr.hasMatchedOption("--epochs")) {
      stage.augment.epochs = 8;
    }
    if (!pr.hasMatchedOption("--shuffle-buffer")) {
      stage.trainer.shuffleBuffer = 1024;
    }
    if (!pr.hasMatchedOption("--fine-tune-blocks")) {
      stage.trainer.fineTuneBlocks = 2;
    }
    if (!pr.hasMatchedOption("--fine-tune-learning-rate")) {
      stage.trainer.fineTuneLearningRate = 0.001;
    }
    if (!pr.hasMatchedOption("--lr-schedule")) {
      stage.trainer.lrSchedule = "cosine";
    }
    if (!pr.hasMatchedOption("--lr-schedule-steps")) {
      stage.trainer.lrScheduleSteps = 1534;
    }
  }

  private static Run empty() {
    return new Run(Double.NaN, Map.of(), Double.NaN, Double.NaN);
  }

  private static void row(String name, Run r) {
    System.out.printf(Locale.ROOT, "%-10s %10s %10s %10s %10s %10s %8s%n", name, fmt(r.timeTo().get(0.85)),
        fmt(r.timeTo().get(0.88)), fmt(r.timeTo().get(0.90)), fmt(r.wallS()), fmt4(r.bestVal()), fmt4(r.test()));
  }

  private static String fmt(Double v) {
    return v == null || v.isNaN() ? "-" : String.format(Locale.ROOT, "%.1f", v);
  }

  private static String fmt4(double v) {
    return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.4f", v);
  }

  private Run ours(Dataset dataset) throws Exception {
    Path runDir = stage.common.workDir.resolve("bench-train-peer-"
        + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
    long t0 = System.nanoTime();
    Map<Double, Double> reached = new ConcurrentHashMap<>();
    try (Pipeline p = Pipeline.start(null, Topics.defaults(), stage, serving, runDir, dataset)) {
      AtomicBoolean watching = new AtomicBoolean(true);
      Thread watch = new Thread(() -> {
        while (watching.get()) {
          for (EvalPoint e : p.trainerStatus().history()) {
            for (double th : THRESHOLDS) {
              if (e.valAccuracy() >= th) {
                reached.putIfAbsent(th, (System.nanoTime() - t0) / 1e9);
              }
            }
          }
          try {
            Thread.sleep(100);
          } catch (InterruptedException ex) {
            return;
          }
        }
      }, "bench-train-peer-watch");
      watch.setDaemon(true);
      watch.start();
      Pipeline.Result r = p.ingestAndAwait(dataset.dir(), Duration.ofSeconds(timeoutS), System.out);
      watching.set(false);
      watch.join(1000);
      double wall = (System.nanoTime() - t0) / 1e9;
      var m = r.served().metadata().getMetrics();
      double best = p.trainerStatus().history().stream().mapToDouble(EvalPoint::valAccuracy).filter(v -> !Double.isNaN(v))
          .max().orElse(Double.NaN);
      System.out.printf(Locale.ROOT, "streamfit: wall %.1f s, champion v%d val %.4f test %.4f, time to %s%n", wall,
          r.served().version(), m.get("val.accuracy"), m.get("test.accuracy"), new TreeMap<>(reached));
      return new Run(wall, new TreeMap<>(reached), best, m.get("test.accuracy"));
    }
  }

  private Run peer(Dataset dataset) throws Exception {
    Path home = Path.of(System.getProperty("streamfit.home", "."));
    Path weights = home.resolve("engine/src/main/resources/dev/streamfit/engine/bases/mobilenet_v1_0.75_224_imagenet_dl4j.h5");
    List<String> cmd = new ArrayList<>(List.of(python, home.resolve("bench/train_peer.py").toString(), "--data",
        dataset.dir().toString(), "--weights", weights.toString(), "--size", String.valueOf(stage.common.imageSize),
        "--epochs", String.valueOf(stage.augment.epochs), "--batch", String.valueOf(stage.trainer.batchSize),
        "--lr", String.valueOf(stage.trainer.learningRate), "--fine-tune-lr", String.valueOf(stage.trainer.fineTuneLearningRate),
        "--fine-tune-blocks", String.valueOf(stage.trainer.fineTuneBlocks),
        "--schedule-steps", String.valueOf(stage.trainer.lrScheduleSteps), "--seed", String.valueOf(stage.common.seed)));
    System.out.println("peer: " + String.join(" ", cmd));
    Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    String last = "{}";
    try (var in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = in.readLine()) != null; ) {
        System.out.println("peer: " + line);
        last = line;
      }
    }
    if (!p.waitFor(timeoutS, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IllegalStateException("PyTorch peer failed (exit " + (p.isAlive() ? "timeout" : p.exitValue())
          + "); it needs Debian python3-torch python3-torchvision python3-h5py");
    }
    JsonNode j = new ObjectMapper().readTree(last);
    Map<Double, Double> timeTo = new TreeMap<>();
    for (double th : THRESHOLDS) {
      JsonNode v = j.path("time_to").path(String.format(Locale.ROOT, "%.2f", th));
      if (v.isNumber()) {
        timeTo.put(th, v.asDouble());
      }
    }
    return new Run(j.path("wall_s").asDouble(Double.NaN), timeTo, j.path("best_val").asDouble(Double.NaN),
        j.path("test").asDouble(Double.NaN));
  }
}
