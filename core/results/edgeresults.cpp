#include "edgeresults.h"

#include "plan/plan.h"
#include "results/sample.h"

#include <optional>

namespace nestscope {

EdgeResults edgeResultsFromRun(const Run &run, const Plan *plan)
{
    std::optional<Plan> parsed;
    if (!plan && !run.planText.isEmpty()) {
        auto p = parsePlan(run.planText, run.planFile, run.variables);
        if (p) {
            parsed = std::move(p).value();
            plan = &*parsed;
        }
    }
    auto familyOf = [plan](const QString &probeId) -> std::optional<TopoEdge::Family> {
        if (plan) {
            const Probe *p = plan->probe(probeId);
            if (!p || (p->kind != ProbeKind::Http && p->kind != ProbeKind::Tcp)) {
                return std::nullopt;
            }
            if (p->family == Family::IPv4) {
                return TopoEdge::Family::IPv4;
            }
            if (p->family == Family::IPv6) {
                return TopoEdge::Family::IPv6;
            }
            return std::nullopt;
        }
        const bool webLike = probeId.startsWith(QLatin1String("http")) || probeId.startsWith(QLatin1String("tcp"));
        if (webLike && probeId.endsWith(QLatin1String("-ipv4"))) {
            return TopoEdge::Family::IPv4;
        }
        if (webLike && probeId.endsWith(QLatin1String("-ipv6"))) {
            return TopoEdge::Family::IPv6;
        }
        return std::nullopt;
    };
    EdgeResults results;
    for (const Sample &s : run.samples) {
        if (s.status == SampleStatus::Skipped) {
            continue;
        }
        const auto family = familyOf(s.probeId);
        if (!family) {
            continue;
        }
        auto &families = results[s.target];
        const bool pass = s.status == SampleStatus::Pass;
        const auto it = families.find(*family);
        if (it == families.end()) {
            families.insert(*family, pass);
        } else {
            it.value() = it.value() && pass;
        }
    }
    return results;
}

} // namespace nestscope
