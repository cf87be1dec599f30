// `neurovec train-encoder`: trains the text encoder (text/encoder_trainer.h)
// on (query, document) pairs and writes its weights (text/text_encoder.h).
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "cli_util.h"
#include "commands.h"
#include "metadata/json.h"
#include "text/encoder_trainer.h"

namespace neurovec::cli {

int RunTrainEncoder(const Args& args) {
  const char* cmd = "train-encoder";
  const std::vector<std::string> known = {"pairs", "out", "dim", "log2-buckets", "min-n", "max-n", "no-bigrams",
                                          "epochs", "batch", "temperature", "lr", "dropout", "init", "threads", "seed",
                                          "quiet", "group-batches"};
  for (const std::string& u : args.Unused(known)) return FailCommand(cmd, "unknown option --" + u);
  if (!args.Has("pairs") || !args.Has("out")) return FailCommand(cmd, "needs --pairs F.jsonl and --out F.nvenc");
  std::string error;
  uint64_t dim, log2, min_n, max_n, epochs, batch, threads, seed;
  if (!args.GetUint("dim", 64, dim, error) || !args.GetUint("log2-buckets", 17, log2, error) ||
      !args.GetUint("min-n", 3, min_n, error) || !args.GetUint("max-n", 5, max_n, error) ||
      !args.GetUint("epochs", 5, epochs, error) || !args.GetUint("batch", 256, batch, error) ||
      !args.GetUint("threads", std::max(1u, std::thread::hardware_concurrency()), threads, error) ||
      !args.GetUint("seed", 42, seed, error)) {
    return FailCommand(cmd, error);
  }
  text::EncoderTrainOptions o;
  o.features.log2_buckets = static_cast<uint32_t>(log2);
  o.features.min_n = static_cast<uint32_t>(min_n);
  o.features.max_n = static_cast<uint32_t>(max_n);
  o.features.bigrams = !args.Has("no-bigrams");
  o.dimensions = static_cast<uint32_t>(dim);
  o.epochs = static_cast<uint32_t>(epochs);
  o.batch = static_cast<uint32_t>(batch);
  o.threads = static_cast<uint32_t>(threads);
  o.seed = seed;
  o.temperature = std::stof(args.Get("temperature", "0.05"));
  o.learning_rate = std::stof(args.Get("lr", "0.1"));
  o.feature_dropout = std::stof(args.Get("dropout", "0"));
  o.init_scale = std::stof(args.Get("init", "0.1"));
  o.group_batches = args.Has("group-batches");
  if (Status s = o.Validate(); !s.ok()) return FailCommand(cmd, s.message());

  // Pairs: one JSON object per line, {"q": query text, "d": document text}.
  std::ifstream in(args.Get("pairs"));
  if (!in) return FailCommand(cmd, "cannot read " + args.Get("pairs"));
  std::vector<std::string> texts;
  std::unordered_map<std::string, uint32_t> seen;
  std::vector<text::TextPair> pairs;
  std::unordered_map<std::string, uint32_t> groups;
  auto intern = [&](const std::string& t) {
    auto it = seen.find(t);
    if (it != seen.end()) return it->second;
    const uint32_t id = static_cast<uint32_t>(texts.size());
    texts.push_back(t);
    seen.emplace(t, id);
    return id;
  };
  std::string line;
  uint64_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty()) continue;
    auto json = ParseJson(line);
    const JsonValue* q = json.ok() ? json.value().Find("q") : nullptr;
    const JsonValue* d = json.ok() ? json.value().Find("d") : nullptr;
    if (!q || !d || q->type != JsonValue::Type::kString || d->type != JsonValue::Type::kString) {
      return FailCommand(cmd, args.Get("pairs") + " line " + std::to_string(line_no) +
                                  ": expected {\"q\": \"query text\", \"d\": \"document text\"}");
    }
    const JsonValue* g = json.value().Find("g");
    uint32_t group = 0;
    if (g && g->type == JsonValue::Type::kString) group = groups.emplace(g->string, static_cast<uint32_t>(groups.size() + 1)).first->second;
    pairs.push_back({intern(q->string), intern(d->string), group});
  }
  const bool quiet = args.Has("quiet");
  const auto start = Clock::now();
  auto trainer = text::EncoderTrainer::Create(o, texts, std::move(pairs));
  if (!trainer.ok()) return FailCommand(cmd, trainer.status().message());
  const double featurise_s = SecondsSince(start);
  uint32_t last_epoch = 0;
  auto progress = trainer.value().Train([&](const text::EncoderTrainProgress& p) {
    if (!quiet && (p.step % 50 == 0 || p.step == p.steps || p.epoch != last_epoch)) {
      std::fprintf(stderr, "\r  epoch %u, step %llu/%llu, loss %.4f, %.1f s   ", p.epoch,
                   static_cast<unsigned long long>(p.step), static_cast<unsigned long long>(p.steps), p.loss,
                   SecondsSince(start));
      last_epoch = p.epoch;
    }
    return true;
  });
  if (!progress.ok()) return FailCommand(cmd, progress.status().message());
  const double train_s = SecondsSince(start);
  auto encoder = trainer.value().Encoder();
  if (!encoder.ok()) return FailCommand(cmd, encoder.status().message());
  const std::string bytes = encoder.value().ToBytes();
  std::ofstream out(args.Get("out"), std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) return FailCommand(cmd, "cannot write " + args.Get("out"));
  if (!quiet) std::fprintf(stderr, "\n");
  std::printf("{\"pairs\": %zu, \"texts\": %zu, \"threads\": %u, \"featurise_s\": %.2f, \"train_s\": %.2f, "
              "\"final_loss\": %.5f, \"bytes\": %zu}\n",
              static_cast<size_t>(progress.value().steps ? line_no : 0), texts.size(), o.threads, featurise_s, train_s,
              progress.value().loss, bytes.size());
  return 0;
}

}  // namespace neurovec::cli
