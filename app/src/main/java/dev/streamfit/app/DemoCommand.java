package dev.streamfit.app;

import dev.streamfit.pipeline.Dataset;
import dev.streamfit.pipeline.KafkaOptions;
import dev.streamfit.pipeline.Pipeline;
import dev.streamfit.pipeline.ServingOptions;
import dev.streamfit.pipeline.Shutdown;
import dev.streamfit.pipeline.StageOptions;
import dev.streamfit.trainer.EvalPoint;
import dev.streamfit.trainer.TrainerStage;

import java.io.PrintStream;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code streamfit demo}: the whole chain in one JVM on the bundled sample, ending with a served prediction. */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Run ingest → augment → train → serve in one JVM (embedded Kafka unless --bootstrap-servers), "
        + "print a summary and answer one prediction.")
public final class DemoCommand implements Callable<Integer> {
  @Mixin
  KafkaOptions kafka;

  @Mixin
  StageOptions stage;

  @Option(names = "--data", description = "Folder laid out as <split>/<class>/<image> (default: the bundled sample).")
  Path data;

  @Mixin
  ServingOptions serving;

  @Option(names = "--keep-serving", description = "Keep serving after the summary until interrupted.")
  boolean keepServing;

  @Option(names = "--distill", description = "Then distil: train a student on the same samples from the champion's soft "
      + "targets and the labels, publish it as <model>-student (served at /v1/models/<model>-student/predict) and compare "
      + "accuracy, size and batch-1 latency.")
  boolean distill;

  @Option(names = "--student", defaultValue = "--base mobilenetv2-0.35 --image-size 160",
      description = "The student's trainer flags, as 'streamfit train' takes them (its own defaults, not the teacher's; "
          + "--distill-temperature, --distill-weight among them) (default '${DEFAULT-VALUE}').")
  String student;

  @Option(names = "--timeout", defaultValue = "PT30M", description = "Give up after this long (ISO-8601, default ${DEFAULT-VALUE}).")
  Duration timeout;

  @Override
  public Integer call() throws Exception {
    long t0 = System.nanoTime();
    Dataset found = Dataset.of(data != null ? data : Dataset.bundledSample());
    Dataset dataset = serving.modelName == null ? found : new Dataset(found.dir(), serving.modelName, found.labels());
    DistillStep.StudentArgs studentArgs = distill ? DistillStep.parse(student) : null;
    if (distill) { // serving answers the student beside the teacher
      serving.modelName = dataset.modelName();
      serving.moreModels = new ArrayList<>(serving.moreModels);
      serving.moreModels.add(DistillStep.studentName(dataset.modelName()));
    }
    Path dataDir = dataset.dir();
    Path runDir = stage.common.workDir.resolve("demo-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
    Path sample = dataset.firstImage("test").or(() -> dataset.firstImage("validation"))
        .or(() -> dataset.firstImage("train")).orElseThrow(() -> new IllegalArgumentException("--data " + dataDir
            + " has no image (.jpg, .jpeg, .png) to ask the served model about"));
    System.out.println("streamfit demo: data " + dataDir + " (" + dataset.labels().size() + " labels " + dataset.labels()
        + "), run dir " + runDir);
    Pipeline p = Pipeline.start(kafka.bootstrapServers, kafka.topics(), stage, serving, runDir, dataset);
    try {
      System.out.printf("kafka    %s (%s)%n", p.bootstrapServers(), kafka.bootstrapServers == null ? "embedded KRaft broker" : "external");
      Pipeline.Result r = p.ingestAndAwait(dataDir, timeout, System.out);
      HttpResponse<String> answer = p.predict(sample);
      var m = r.served().metadata();
      String url = "http://" + serving.host + ":" + p.port() + "/v1/predict";
      System.out.println();
      System.out.println("evaluations (validation picks the champion; test is reported once, for the served champion)");
      printHistory(r.trainer().history(), System.out);
      System.out.println();
      System.out.println("summary");
      System.out.printf(Locale.ROOT, "  images ingested        %d %s%n", r.ingest().published(), r.ingest().perSplit());
      System.out.printf(Locale.ROOT, "  images augmented       %d (%d samples, %d train) ; rejected %d %s%n",
          r.processedImages() - r.rejectedImages(), p.watcher().samples(), r.trainSamples(), r.rejectedImages(), r.rejectReasons());
      System.out.printf(Locale.ROOT, "  samples trained        %d in %d steps%n", r.trainer().samplesTrained(), r.trainer().steps());
      System.out.printf(Locale.ROOT, "  validation accuracy    %s (champion v%d)%n", fmt(m.getMetrics().get("val.accuracy")), m.getVersion());
      System.out.printf(Locale.ROOT, "  test accuracy          %s (champion v%d)%n", fmt(m.getMetrics().get("test.accuracy")), m.getVersion());
      System.out.printf(Locale.ROOT, "  checkpoint             %s%n", r.trainer().lastCheckpoint());
      System.out.printf(Locale.ROOT, "  learning curve         %s%n", r.trainer().lastCheckpoint() == null ? "-"
          : r.trainer().lastCheckpoint().resolveSibling(TrainerStage.LEARNING_CURVE));
      System.out.printf(Locale.ROOT, "  model version          %s v%d (sha256 %s…)%n", m.getModelName(), m.getVersion(), m.getSha256().substring(0, 12));
      System.out.printf(Locale.ROOT, "  serving                %s (web page http://%s:%d/)%n", url, serving.host, p.port());
      var stable = p.serving().active();
      if (stable != null && stable.version() != m.getVersion()) { // a canary or shadow rollout is judging the champion
        System.out.printf(Locale.ROOT, "  rollout                %s: v%d is the %s, v%d stable, until judged on live traffic%n",
            serving.rollout, m.getVersion(), serving.rollout, stable.version());
      }
      System.out.printf(Locale.ROOT, "  prediction for %s → HTTP %d %s%n", dataDir.relativize(sample), answer.statusCode(), answer.body());
      if (answer.statusCode() != 200) {
        return 1;
      }
      if (distill && !DistillStep.run(p, dataset, m, stage.common.imageSize, studentArgs, runDir, timeout, System.out)) {
        return 1;
      }
      System.out.printf(Locale.ROOT, "RESULT val.accuracy %s%n", fmt(m.getMetrics().get("val.accuracy")));
      System.out.printf(Locale.ROOT, "RESULT test.accuracy %s%n", fmt(m.getMetrics().get("test.accuracy")));
      System.out.printf(Locale.ROOT, "RESULT train.wall_s %.1f%n", r.wallSeconds());
      System.out.printf(Locale.ROOT, "RESULT demo.wall_s %.1f%n", (System.nanoTime() - t0) / 1e9);
      if (keepServing) {
        System.out.println("serving until interrupted (Ctrl-C) at " + url + " and http://" + serving.host + ":" + p.port() + "/");
        Shutdown.awaitSignal(p);
        p = null;
      }
      return 0;
    } finally {
      if (p != null) {
        p.close();
      }
    }
  }

  /** One line per evaluation, with its header. */
  static void printHistory(List<EvalPoint> history, PrintStream out) {
    out.println("  trigger      epoch   step  lr        train loss  train acc  val loss  val acc  published");
    for (EvalPoint e : history) {
      out.printf(Locale.ROOT, "  %-11s %6d %6d  %.2e  %10.4f  %9.4f  %8.4f  %7.4f  %s%n", e.trigger(), e.epoch() + 1,
          e.step(), e.learningRate(), e.trainLoss(), e.trainAccuracy(), e.valLoss(), e.valAccuracy(),
          e.publishedVersion() > 0 ? "v" + e.publishedVersion() : "-");
    }
  }

  static String fmt(Double d) {
    return d == null ? "n/a" : String.format(Locale.ROOT, "%.4f", d);
  }
}
