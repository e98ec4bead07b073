# One INTERFACE target carries the settings every Nestscope target shares
# (the qbt_common_cfg pattern): language level, warnings and Qt's strictness defines.
add_library(nestscope_settings INTERFACE)
add_library(Nestscope::settings ALIAS nestscope_settings)

target_compile_features(nestscope_settings INTERFACE cxx_std_20)
set(CMAKE_CXX_EXTENSIONS OFF)

target_compile_definitions(nestscope_settings INTERFACE
    QT_NO_CAST_FROM_ASCII
    QT_NO_URL_CAST_FROM_STRING
    QT_USE_QSTRINGBUILDER
    QT_NO_KEYWORDS
    QT_NO_FOREACH
    QT_DISABLE_DEPRECATED_BEFORE=0x060400
    NESTSCOPE_VERSION="${PROJECT_VERSION}")

if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(nestscope_settings INTERFACE -Wall -Wextra -Wpedantic)
    if(NESTSCOPE_WERROR)
        target_compile_options(nestscope_settings INTERFACE -Werror)
    endif()
endif()

set(NESTSCOPE_SANITIZERS "" CACHE STRING "Comma-separated sanitizers, e.g. address,undefined")
if(NESTSCOPE_SANITIZERS)
    target_compile_options(nestscope_settings INTERFACE
        -fsanitize=${NESTSCOPE_SANITIZERS} -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
    target_link_options(nestscope_settings INTERFACE -fsanitize=${NESTSCOPE_SANITIZERS})
endif()
