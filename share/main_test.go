package share_test

import (
	"testing"

	"github.com/tocsin-hub/tocsin/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }
