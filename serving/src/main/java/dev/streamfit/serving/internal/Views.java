package dev.streamfit.serving.internal;

import dev.streamfit.schemas.ModelVersion;
import dev.streamfit.schemas.OffsetRange;
import dev.streamfit.serving.ModelState;
import dev.streamfit.serving.RolloutPolicy;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The JSON views of serving's resources, as records (what clients read; no weights). Immutable. */
final class Views {
  private Views() {}

  /** {@code GET /v1/models}. */
  record Models(String model, List<String> served, Long activeVersion, Rollout rollout, Version active,
      List<Version> versions) {}

  /** Which versions answer and how; {@code labels} maps stable/canary/shadow to versions. */
  record Rollout(String mode, Double canaryShare, Long pinned, Map<String, Long> labels) {}

  record Version(String model, long version, String status, String label, String reason, String statusChangedAt,
      String createdAt, long offset, String sha256, List<String> labels, Input input, Map<String, Double> metrics,
      Provenance provenance, Live live) {}

  record Input(int height, int width, int channels, String layout, String scaling, String resize) {}

  record Provenance(Long parentVersion, String baseModel, long runSeed, Map<String, String> config,
      List<String> augmentationSpecHashes, List<Range> offsets, long steps, long samplesTrained, String commit) {}

  record Range(String topic, int partition, long startOffset, long endOffset) {}

  /** Live figures since the version started answering; null where there is nothing to show yet. */
  record Live(long requests, long errors, double errorRate, Double meanLatencyMs, long feedback, Double liveAccuracy,
      Double windowAccuracy, long shadowCompared, Double shadowAgreement) {}

  static Models models(ModelRegistry registry, List<String> served) {
    Deployment d = registry.deployment();
    ModelHandle stable = d.stable();
    ModelHandle cand = d.candidate();
    Map<String, Long> labels = new LinkedHashMap<>();
    if (stable != null) {
      labels.put("stable", stable.version());
    }
    if (cand != null) {
      labels.put(d.policy().mode().code(), cand.version());
    }
    long pinned = d.pinned();
    Rollout rollout = new Rollout(d.policy().mode().code(),
        d.policy().mode() == RolloutPolicy.Mode.CANARY ? d.policy().canaryShare() : null,
        pinned < 0 ? null : pinned, labels);
    return new Models(registry.modelName(), served, stable == null ? null : stable.version(), rollout,
        stable == null ? null : version(registry.version(stable.version()), d),
        registry.versions().stream().map(s -> version(s, d)).toList());
  }

  static Version version(ModelState s, Deployment d) {
    if (s == null) {
      return null;
    }
    ModelVersion v = s.metadata();
    ModelHandle stable = d.stable();
    ModelHandle cand = d.candidate();
    String label = stable != null && stable.version() == s.version() ? "stable"
        : cand != null && cand.version() == s.version() ? d.policy().mode().code() : null;
    Map<String, Double> m = new TreeMap<>();
    v.getMetrics().forEach((k, val) -> m.put(String.valueOf(k), val));
    var p = v.getProvenance();
    Map<String, String> cfg = new TreeMap<>();
    p.getConfig().forEach((k, val) -> cfg.put(String.valueOf(k), String.valueOf(val)));
    Provenance prov = new Provenance(p.getParentVersion(), String.valueOf(p.getBaseModel()), p.getRunSeed(), cfg,
        p.getAugmentationSpecHashes().stream().map(String::valueOf).toList(),
        p.getOffsets().stream().map(Views::range).toList(), p.getSteps(), p.getSamplesTrained(),
        p.getCommit() == null ? null : p.getCommit().toString());
    var in = v.getInput();
    VersionStats st = d.statsIfAny(s.version());
    return new Version(v.getModelName(), v.getVersion(), s.status().code(), label, s.reason(), s.changedAt().toString(),
        v.getCreatedAt().toString(), s.offset(), v.getSha256(), v.getLabels().stream().map(String::valueOf).toList(),
        new Input(in.getHeight(), in.getWidth(), in.getChannels(), String.valueOf(in.getLayout()),
            String.valueOf(in.getScaling()), String.valueOf(in.getResize())), m, prov,
        st == null ? null : live(st.snapshot()));
  }

  static Live live(VersionStats.Snapshot s) {
    return new Live(s.requests(), s.errors(), s.errorRate(), finite(s.meanLatencyMs()), s.feedback(),
        finite(s.liveAccuracy()), finite(s.windowAccuracy()), s.compared(), finite(s.agreement()));
  }

  private static Double finite(double x) {
    return Double.isFinite(x) ? x : null;
  }

  private static Range range(OffsetRange r) {
    return new Range(String.valueOf(r.getTopic()), r.getPartition(), r.getStartOffset(), r.getEndOffset());
  }
}
