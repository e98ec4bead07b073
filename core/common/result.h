#pragma once

#include <QString>

#include <optional>
#include <utility>
#include <variant>

namespace nestscope {

/// An error a person can act on: what went wrong and, for parsed input, where (1-based line/column).
struct Error {
    QString message;
    QString file;
    int line = 0;
    int column = 0;

    /// "file:line:column: message", leaving out the parts that are unknown.
    QString toString() const
    {
        QString where = file;
        if (line > 0) {
            where += QLatin1Char(':') + QString::number(line);
            if (column > 0) {
                where += QLatin1Char(':') + QString::number(column);
            }
        }
        return where.isEmpty() ? message : where + QStringLiteral(": ") + message;
    }
};

/// A value or an Error (std::expected is C++23; this is the small subset we need).
template <typename T> class Result {
public:
    Result(T value)
        : m_data(std::move(value))
    {
    }
    Result(Error error)
        : m_data(std::move(error))
    {
    }

    bool ok() const { return m_data.index() == 0; }
    explicit operator bool() const { return ok(); }

    const T &value() const & { return std::get<0>(m_data); }
    T &value() & { return std::get<0>(m_data); }
    T &&value() && { return std::get<0>(std::move(m_data)); }
    const T &operator*() const & { return value(); }
    const T *operator->() const { return &value(); }

    const Error &error() const { return std::get<1>(m_data); }

private:
    std::variant<T, Error> m_data;
};

} // namespace nestscope
