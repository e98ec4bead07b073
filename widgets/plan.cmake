# The plan editor and the highlighter behind it. KSyntaxHighlighting (KF6) is used when found;
# Debian 12 only packages the Qt 5 build, so the built-in highlighter is the usual one there.
target_sources(nestscope_widgets PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/codehighlighter.cpp ${CMAKE_CURRENT_LIST_DIR}/codehighlighter.h
    ${CMAKE_CURRENT_LIST_DIR}/planeditor.cpp ${CMAKE_CURRENT_LIST_DIR}/planeditor.h
    ${CMAKE_CURRENT_LIST_DIR}/consoleview.cpp ${CMAKE_CURRENT_LIST_DIR}/consoleview.h
)
find_package(KF6SyntaxHighlighting QUIET)
if(KF6SyntaxHighlighting_FOUND)
    target_link_libraries(nestscope_widgets PRIVATE KF6::SyntaxHighlighting)
    target_compile_definitions(nestscope_widgets PRIVATE NESTSCOPE_HAVE_KSYNTAXHIGHLIGHTING)
    message(STATUS "Syntax highlighting: KSyntaxHighlighting ${KF6SyntaxHighlighting_VERSION}")
else()
    message(STATUS "Syntax highlighting: built-in (KF6SyntaxHighlighting not found)")
endif()
