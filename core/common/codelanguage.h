#pragma once

namespace nestscope {

/// The languages Nestscope shows: plans (YAML), commands (shell), raw configuration (JSON)
/// and command output (log). In core because what is shown (an inspection's raw text, a finding's
/// evidence) is decided there; only the highlighting of it is a widget's business.
enum class CodeLanguage { Yaml, Shell, Json, Log };

} // namespace nestscope
