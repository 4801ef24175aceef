package dev.streamfit.trainer.internal;

import dev.streamfit.trainer.EvalPoint;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Everything a checkpoint holds besides the weights, typed and versioned ({@link #FORMAT}). Two parts with one owner
 * each: {@link Progress} (the training thread: what was consumed and trained) and {@link Judgement} (the evaluator:
 * versions, champion, early stopping, history). Samples are kept by reference, so the size does not grow with the
 * stream: the windows and the rehearsal buffer are bounded, the history keeps the newest {@value #HISTORY} points.
 * Immutable.
 */
public record TrainerState(Progress progress, Judgement judgement) {
  /** Checkpoint state format written by this version; others are refused with a message. */
  public static final int FORMAT = 2;
  /** Evaluations kept in the history (the learning curve), newest. */
  public static final int HISTORY = 2000;

  /**
   * What was consumed and trained (owned by the training thread).
   *
   * @param step optimisation steps so far
   * @param samplesTrained train samples consumed into the model
   * @param epoch epoch of the newest train samples
   * @param epochHasSamples a train sample of {@code epoch} was consumed
   * @param labels the label set, output order (grows with --grow-labels)
   * @param originOffsets first offset ever consumed per partition key {@code topic:partition}
   * @param nextOffsets next offset to consume per partition key
   * @param specHashes augmentation spec hashes seen in train samples
   * @param validation references of the validation window
   * @param test references of the test window
   * @param replay references of the rehearsal buffer
   * @param replayOffered train samples offered to the rehearsal buffer so far, per label index
   */
  public record Progress(long step, long samplesTrained, int epoch, boolean epochHasSamples, List<String> labels,
      Map<String, Long> originOffsets, Map<String, Long> nextOffsets, List<String> specHashes,
      List<SampleRef> validation, List<SampleRef> test, List<SampleRef> replay, List<Long> replayOffered) {
    public Progress {
      labels = List.copyOf(labels);
      originOffsets = Map.copyOf(originOffsets);
      nextOffsets = Map.copyOf(nextOffsets);
      specHashes = List.copyOf(specHashes);
      validation = List.copyOf(validation);
      test = List.copyOf(test);
      replay = List.copyOf(replay);
      replayOffered = List.copyOf(replayOffered);
    }

    /** Nothing consumed yet, over {@code labels}. */
    public static Progress initial(List<String> labels) {
      return new Progress(0, 0, 0, false, labels, Map.of(), Map.of(), List.of(), List.of(), List.of(), List.of(), List.of());
    }
  }

  /**
   * What the evaluator decided (owned by the evaluator).
   *
   * @param version last published version, 0 if none
   * @param publishedLabels labels of the last published version (later ones are its successor's labels_added)
   * @param publishedSamples {@code samplesTrained} of the last published version
   * @param bestVal best validation accuracy so far (NaN if none), for early stopping and best.zip
   * @param evalsSinceBest evaluations since {@code bestVal}
   * @param stoppedEarly early stopping ended training
   * @param championPerClass the champion's per-label validation accuracy when published (the drift reference)
   * @param pending a version counted here but maybe not yet sent (re-sent on start), or null
   * @param history evaluations, oldest first (at most {@value #HISTORY})
   */
  public record Judgement(long version, int publishedLabels, long publishedSamples, double bestVal, int evalsSinceBest,
      boolean stoppedEarly, Map<String, Double> championPerClass, Pending pending, List<EvalPoint> history) {
    public Judgement {
      championPerClass = Map.copyOf(championPerClass);
      history = List.copyOf(history.size() > HISTORY ? history.subList(history.size() - HISTORY, history.size()) : history);
    }

    /** No evaluation yet; {@code labels} labels count as published. */
    public static Judgement initial(int labels) {
      return new Judgement(0, labels, 0, Double.NaN, 0, false, Map.of(), null, List.of());
    }
  }

  /**
   * A version recorded as published before it was sent.
   *
   * @param parent the version it replaces (0: none)
   * @param metrics its metrics
   * @param labelsAdded labels new since its parent
   */
  public record Pending(long parent, Map<String, Double> metrics, List<String> labelsAdded) {
    public Pending {
      metrics = Map.copyOf(metrics);
      labelsAdded = List.copyOf(labelsAdded);
    }
  }

  /** As {@code key=value} properties. */
  public Properties toProperties() {
    Properties p = new Properties();
    Progress g = progress;
    Judgement j = judgement;
    p.setProperty("format", String.valueOf(FORMAT));
    p.setProperty("step", String.valueOf(g.step()));
    p.setProperty("samplesTrained", String.valueOf(g.samplesTrained()));
    p.setProperty("epoch", String.valueOf(g.epoch()));
    p.setProperty("epochHasSamples", String.valueOf(g.epochHasSamples()));
    p.setProperty("labels", String.join(",", g.labels()));
    g.originOffsets().forEach((k, v) -> p.setProperty("origin." + k, String.valueOf(v)));
    g.nextOffsets().forEach((k, v) -> p.setProperty("next." + k, String.valueOf(v)));
    p.setProperty("specHashes", String.join(",", g.specHashes()));
    p.setProperty("window.validation", join(g.validation()));
    p.setProperty("window.test", join(g.test()));
    p.setProperty("replay", join(g.replay()));
    p.setProperty("replay.offered", join(g.replayOffered()));
    p.setProperty("version", String.valueOf(j.version()));
    p.setProperty("publishedLabels", String.valueOf(j.publishedLabels()));
    p.setProperty("publishedSamples", String.valueOf(j.publishedSamples()));
    p.setProperty("bestVal", String.valueOf(j.bestVal()));
    p.setProperty("evalsSinceBest", String.valueOf(j.evalsSinceBest()));
    p.setProperty("stoppedEarly", String.valueOf(j.stoppedEarly()));
    j.championPerClass().forEach((k, v) -> p.setProperty("championPerClass." + k, String.valueOf(v)));
    if (j.pending() != null) {
      p.setProperty("pending.parent", String.valueOf(j.pending().parent()));
      p.setProperty("pending.labelsAdded", String.join(",", j.pending().labelsAdded()));
      j.pending().metrics().forEach((k, v) -> p.setProperty("pending.metric." + k, String.valueOf(v)));
    }
    for (int i = 0; i < j.history().size(); i++) {
      p.setProperty(String.format("history.%06d", i), j.history().get(i).toLine());
    }
    return p;
  }

  /** Parses {@link #toProperties()}; {@code where} names the source in errors. */
  public static TrainerState fromProperties(Properties p, String where) {
    String format = p.getProperty("format", "1");
    if (!format.equals(String.valueOf(FORMAT))) {
      throw new IllegalArgumentException(where + " has trainer state format " + format + "; this trainer reads format "
          + FORMAT + " (format 1 copied held-out samples into every checkpoint): start with a new --checkpoint-dir");
    }
    Map<String, Long> origin = new TreeMap<>();
    Map<String, Long> next = new TreeMap<>();
    Map<String, Double> perClass = new TreeMap<>();
    Map<String, Double> pendingMetrics = new TreeMap<>();
    TreeMap<String, EvalPoint> history = new TreeMap<>();
    for (String k : p.stringPropertyNames()) {
      String v = p.getProperty(k);
      if (k.startsWith("origin.")) {
        origin.put(k.substring(7), Long.parseLong(v));
      } else if (k.startsWith("next.")) {
        next.put(k.substring(5), Long.parseLong(v));
      } else if (k.startsWith("championPerClass.")) {
        perClass.put(k.substring(17), Double.parseDouble(v));
      } else if (k.startsWith("pending.metric.")) {
        pendingMetrics.put(k.substring(15), Double.parseDouble(v));
      } else if (k.startsWith("history.")) {
        history.put(k, EvalPoint.parse(v));
      }
    }
    Progress g = new Progress(num(p, "step"), num(p, "samplesTrained"), (int) num(p, "epoch"),
        Boolean.parseBoolean(p.getProperty("epochHasSamples")), split(p.getProperty("labels", ""), s -> s), origin, next,
        split(p.getProperty("specHashes", ""), s -> s), split(p.getProperty("window.validation", ""), SampleRef::parse),
        split(p.getProperty("window.test", ""), SampleRef::parse), split(p.getProperty("replay", ""), SampleRef::parse),
        split(p.getProperty("replay.offered", ""), Long::parseLong));
    Pending pending = p.containsKey("pending.parent") ? new Pending(num(p, "pending.parent"), pendingMetrics,
        split(p.getProperty("pending.labelsAdded", ""), x -> x)) : null;
    Judgement j = new Judgement(num(p, "version"), (int) num(p, "publishedLabels"), num(p, "publishedSamples"),
        Double.parseDouble(p.getProperty("bestVal", "NaN")), (int) num(p, "evalsSinceBest"),
        Boolean.parseBoolean(p.getProperty("stoppedEarly")), perClass, pending, new ArrayList<>(history.values()));
    return new TrainerState(g, j);
  }

  private static long num(Properties p, String key) {
    String v = p.getProperty(key);
    if (v == null) {
      throw new IllegalArgumentException("trainer state has no " + key);
    }
    return Long.parseLong(v);
  }

  private static String join(List<?> items) {
    return String.join(",", items.stream().map(String::valueOf).toList());
  }

  private static <T> List<T> split(String csv, Function<String, T> parse) {
    return Arrays.stream(csv.split(",")).filter(s -> !s.isEmpty()).map(parse).toList();
  }
}
