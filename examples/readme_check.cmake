# Fails unless README.md shows EXAMPLE verbatim (after its opening comment) in a ```cpp block,
# so the quick start users copy is the one CI compiles and runs. Run with cmake -P.
file(READ "${README}" readme)
file(READ "${EXAMPLE}" example)
# The file's opening comment speaks about the file; the README shows from the first #include.
string(FIND "${example}" "#include" start)
string(SUBSTRING "${example}" ${start} -1 code)
string(FIND "${readme}" "```cpp\n${code}```" at)
if(at EQUAL -1)
  message(FATAL_ERROR "README.md does not show ${EXAMPLE} (from its first #include) in a ```cpp "
                      "block: copy the file into the README's quick start")
endif()
