package dev.streamfit.serving.internal;

import dev.streamfit.common.Buffers;
import dev.streamfit.common.kafka.ClientProfile;
import dev.streamfit.common.kafka.ConsumerLoop;
import dev.streamfit.common.kafka.KafkaClients;
import dev.streamfit.engine.ClassProbability;
import dev.streamfit.schemas.AvroSerde;
import dev.streamfit.schemas.PredictionRequest;
import dev.streamfit.schemas.PredictionResult;
import dev.streamfit.schemas.RejectReason;
import dev.streamfit.schemas.Topics;
import dev.streamfit.serving.ServingConfig;
import java.time.Duration;
import java.time.Instant;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Topic inference: consumes {@code inference.requests} in a consumer group (serving replicas share its
 * partitions) and answers each record on {@code inference.results}, keyed by request id, exactly once:
 * results and consumed offsets commit in one transaction. A record that is not a request, or an image
 * that is refused, gets a result carrying the error, so no record ever blocks its partition. A request names its
 * model ({@code model}; null = the default): a further model the instance serves answers it, another name gets an
 * {@code unknown_model} result, a further model without an active version a {@code no_model} result. While the default
 * model is not active the assigned partitions are paused. Thread-safe; one thread owns the clients.
 */
public final class TopicInference extends ConsumerLoop {
  private static final Logger LOG = LoggerFactory.getLogger(TopicInference.class);
  private final ServingConfig config;
  private final PredictService service;
  private final Map<String, PredictService> more;
  private final ServingMetrics metrics;
  private final RecentPredictions recent;
  /** Whether a transaction is open (loop thread only). */
  private boolean inTransaction;

  /** Answers with {@code service} (the default model) and {@code more} (further models by name). */
  public TopicInference(ServingConfig config, PredictService service, Map<String, PredictService> more,
      ServingMetrics metrics, RecentPredictions recent) {
    super("streamfit-topic-inference");
    this.config = config;
    this.service = service;
    this.more = Map.copyOf(more);
    this.metrics = metrics;
    this.recent = recent;
  }

  @Override
  protected void run() throws InterruptedException {
    Topics t = config.topics();
    try (KafkaConsumer<String, byte[]> c = KafkaClients.consumer(config.bootstrapServers(), ClientProfile.READ_COMMITTED,
        ClientProfile.group(config.inferenceGroupId()), ClientProfile.maxPollRecords(Math.max(8, 2 * config.maxBatch())),
        ClientProfile.reading(t.spec(t.inferenceRequests())));
        KafkaProducer<String, byte[]> p = KafkaClients.producer(config.bootstrapServers(),
            ClientProfile.transactional(config.inferenceGroupId() + "-" + UUID.randomUUID()), ClientProfile.batching(1, 16384),
            ClientProfile.writing(t.spec(t.inferenceResults()), t.spec(t.rejected())))) {
      own(c);
      p.initTransactions();
      c.subscribe(List.of(t.inferenceRequests()));
      while (running()) {
        boolean ready = service.registry().peek() != null;
        if (!ready) {
          c.pause(c.assignment());
        } else if (!c.paused().isEmpty()) {
          c.resume(c.paused());
        }
        ConsumerRecords<String, byte[]> records = c.poll(Duration.ofMillis(200));
        if (records.isEmpty()) {
          continue;
        }
        if (!ready) {
          // Fetched in the poll that joined the group, before the pause could apply: read them again later.
          seekToFirst(c, records);
          continue;
        }
        try {
          answer(c, p, records);
        } catch (PredictService.NoModelException e) {
          seekToFirst(c, records);
        } catch (ProducerFencedException e) {
          throw e;
        } catch (KafkaException e) {
          LOG.warn("inference batch failed ({}); re-reading from the committed offsets", e.toString());
          if (inTransaction) {
            p.abortTransaction();
            inTransaction = false;
          }
          rewind(c, records.partitions());
        }
      }
    }
  }

  private static void seekToFirst(KafkaConsumer<String, byte[]> c, ConsumerRecords<String, byte[]> records) {
    for (TopicPartition tp : records.partitions()) {
      c.seek(tp, records.records(tp).get(0).offset());
    }
  }

  private void answer(KafkaConsumer<String, byte[]> c, KafkaProducer<String, byte[]> p,
      ConsumerRecords<String, byte[]> records) throws InterruptedException, PredictService.NoModelException {
    long t0 = System.nanoTime();
    AvroSerde<PredictionRequest> reqSerde = AvroSerde.of(PredictionRequest.class);
    AvroSerde<PredictionResult> resSerde = AvroSerde.of(PredictionResult.class);
    List<ConsumerRecord<String, byte[]>> all = new ArrayList<>();
    records.forEach(all::add);
    List<PredictionRequest> requests = new ArrayList<>();
    List<byte[]> images = new ArrayList<>();
    List<Integer> index = new ArrayList<>();
    PredictionResult[] results = new PredictionResult[all.size()];
    for (int i = 0; i < all.size(); i++) {
      ConsumerRecord<String, byte[]> r = all.get(i);
      PredictionRequest req = null;
      try {
        req = r.value() == null ? null : reqSerde.decode(r.value());
      } catch (RuntimeException e) {
        // fall through: malformed
      }
      if (req == null) {
        results[i] = error(fallbackId(r), RejectReason.MALFORMED_RECORD.code(), "record value is not a PredictionRequest");
        continue;
      }
      requests.add(req);
      images.add(Buffers.copyOf(req.getContent()));
      index.add(i);
    }
    // Group by model and requested k so each group shares forward passes (usually one group).
    Map<Map.Entry<String, Integer>, List<Integer>> groups = new HashMap<>();
    for (int j = 0; j < requests.size(); j++) {
      PredictionRequest req = requests.get(j);
      String name = req.getModel() == null ? null : req.getModel().toString();
      if (name != null && !name.equals(service.registry().modelName()) && !more.containsKey(name)) {
        results[index.get(j)] = error(req.getRequestId().toString(), "unknown_model", "model '"
            + (name.length() > 100 ? name.substring(0, 100) + "…" : name) + "' is not served here");
        continue;
      }
      groups.computeIfAbsent(new AbstractMap.SimpleImmutableEntry<>(name != null && more.containsKey(name) ? name : "",
          Math.max(1, req.getTopK())), x -> new ArrayList<>()).add(j);
    }
    for (Map.Entry<Map.Entry<String, Integer>, List<Integer>> g : groups.entrySet()) {
      List<byte[]> groupImages = g.getValue().stream().map(images::get).toList();
      PredictService asked = g.getKey().getKey().isEmpty() ? service : more.get(g.getKey().getKey());
      List<PredictService.Outcome> outs;
      try {
        outs = asked.predictAll(groupImages, g.getKey().getValue()); // before the transaction begins
      } catch (PredictService.NoModelException e) {
        if (asked == service) {
          throw e; // the default model: wait for it (the partitions pause)
        }
        outs = null; // a further model: answer, do not stall the partition behind it
        for (int j : g.getValue()) {
          results[index.get(j)] = error(requests.get(j).getRequestId().toString(), "no_model", e.getMessage());
        }
      } catch (ExecutionException | RuntimeException e) {
        // a failure of ours on these records: each gets an error result, so the partition moves on
        LOG.warn("inference of {} record(s) failed", g.getValue().size(), e instanceof RuntimeException ? e : e.getCause());
        outs = null;
        Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
        for (int j : g.getValue()) {
          results[index.get(j)] = error(requests.get(j).getRequestId().toString(), RejectReason.INTERNAL_ERROR.code(),
              String.valueOf(cause));
        }
      }
      if (outs == null) {
        continue;
      }
      double latency = (System.nanoTime() - t0) / 1e6;
      for (int n = 0; n < outs.size(); n++) {
        int j = g.getValue().get(n);
        String id = requests.get(j).getRequestId().toString();
        PredictService.Outcome out = outs.get(n);
        if (out instanceof PredictService.Outcome.Refused r) {
          results[index.get(j)] = error(id, r.rejected().reason().code(), r.rejected().getMessage());
        } else if (out instanceof PredictService.Outcome.Answered o) {
          var pr = o.prediction();
          results[index.get(j)] = PredictionResult.newBuilder().setRequestId(id).setModel(asked.registry().modelName())
              .setModelVersion(pr.version())
              .setPredictions(pr.top().stream().map(ClassProbability::toWire).toList())
              .setError(null).setLatencyMs(latency).setPredictionId(o.predictionId()).build();
          metrics.inferenceRecord("ok");
          if (!pr.top().isEmpty()) {
            recent.add(new RecentPredictions.Entry(Instant.now(), "topic", id, pr.version(), pr.top().get(0).label(),
                pr.top().get(0).probability(), latency));
          }
        }
      }
    }
    p.beginTransaction();
    inTransaction = true;
    for (PredictionResult res : results) {
      p.send(new ProducerRecord<>(config.topics().inferenceResults(), res.getRequestId().toString(), resSerde.encode(res)));
    }
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    for (TopicPartition tp : records.partitions()) {
      List<ConsumerRecord<String, byte[]>> rs = records.records(tp);
      offsets.put(tp, new OffsetAndMetadata(rs.get(rs.size() - 1).offset() + 1));
    }
    p.sendOffsetsToTransaction(offsets, c.groupMetadata());
    p.commitTransaction();
    inTransaction = false;
  }

  private PredictionResult error(String requestId, String code, String message) {
    metrics.inferenceRecord(code);
    metrics.rejected("topic", code);
    return PredictionResult.newBuilder().setRequestId(requestId).setModelVersion(null).setPredictions(List.of())
        .setError(code + ": " + message).setLatencyMs(0).build();
  }

  private static String fallbackId(ConsumerRecord<String, byte[]> r) {
    return r.key() != null ? r.key() : r.topic() + "-" + r.partition() + "@" + r.offset();
  }

  private static void rewind(KafkaConsumer<String, byte[]> c, Set<TopicPartition> parts) {
    Map<TopicPartition, OffsetAndMetadata> committed = c.committed(parts);
    for (TopicPartition tp : parts) {
      OffsetAndMetadata om = committed.get(tp);
      if (om != null) {
        c.seek(tp, om.offset());
      } else {
        c.seekToBeginning(List.of(tp));
      }
    }
  }
}
